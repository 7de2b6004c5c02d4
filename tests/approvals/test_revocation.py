"""Revoked certificates: a signature made after its certificate was revoked is refused, one made before still stands (R-3.11)."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import translation

from approvals.signing import SoftwareSigner, load_crls, sign, timestamp, verify
from approvals.testca import TestCA, TestTSA

PASSWORD = b"mat-khau-p12"
PAYLOAD = b'{"format":"cbccvc-record-version/1","person":7,"version":2}'
NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def english():
    """Reasons are asserted in English here."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def ca():
    return TestCA()


@pytest.fixture
def signer(ca):
    return SoftwareSigner(ca.pkcs12("Trần Quốc Bảo", PASSWORD), PASSWORD)


def test_a_signature_made_after_the_certificate_was_revoked_is_refused_R_3_11(ca, signer):
    signature = sign(PAYLOAD, signer, NOW - HOUR)
    crl = ca.crl([(signer.certificate, NOW - 2 * HOUR)])
    result = verify(PAYLOAD, signature, [ca.certificate], crls=[crl])
    assert not result.valid and result.reason == "The signer's certificate was revoked."


def test_a_signature_made_before_the_certificate_was_revoked_still_verifies_R_3_11(ca, signer):
    # The validator compares the revocation date with the signing time, and takes today's CRL as evidence about that
    # earlier moment (retroactive_revinfo): the signature was made while the certificate was good.
    signature = sign(PAYLOAD, signer, NOW - 2 * HOUR)
    crl = ca.crl([(signer.certificate, NOW - HOUR)])
    assert verify(PAYLOAD, signature, [ca.certificate], crls=[crl]).valid


def test_the_timestamp_not_the_claimed_signing_time_decides_R_3_11(ca, signer):
    # Without a timestamp a backdated signing time escapes the revocation; with one, the authority's time counts.
    signature = sign(PAYLOAD, signer, NOW - 2 * HOUR)
    crl = ca.crl([(signer.certificate, NOW - HOUR)])
    with TestTSA(*ca.issue_tsa("Dịch vụ cấp dấu thời gian thử nghiệm")).serve() as url:
        stamped = timestamp(signature, url)
    result = verify(PAYLOAD, stamped, [ca.certificate], crls=[crl])
    assert not result.valid and result.reason == "The signer's certificate was revoked."


def test_a_revoked_timestamp_authority_is_refused_R_3_11(ca, signer):
    key, certificate = ca.issue_tsa("TSA bị thu hồi")
    with TestTSA(key, certificate).serve() as url:
        stamped = timestamp(sign(PAYLOAD, signer), url)
    result = verify(PAYLOAD, stamped, [ca.certificate], crls=[ca.crl([(certificate, NOW - HOUR)])])
    assert not result.valid and result.reason.startswith("The timestamp does not come from a trusted timestamp authority")


def test_a_crl_from_another_ca_does_not_revoke_R_3_11(ca, signer):
    stranger = TestCA("CA lạ")
    crl = stranger.crl([(signer.certificate, NOW - 2 * HOUR)])  # the same serial number, another issuer
    assert verify(PAYLOAD, sign(PAYLOAD, signer, NOW - HOUR), [ca.certificate], crls=[crl]).valid


def test_without_revocation_data_the_signature_verifies_soft_fail_R_3_11(ca, signer):
    assert verify(PAYLOAD, sign(PAYLOAD, signer), [ca.certificate]).valid
    assert verify(PAYLOAD, sign(PAYLOAD, signer), [ca.certificate], crls=[ca.crl([])]).valid


def test_an_ocsp_response_saying_revoked_is_believed_R_3_11(ca, signer):
    signature = sign(PAYLOAD, signer, NOW - HOUR)
    assert not verify(PAYLOAD, signature, [ca.certificate], ocsps=[ca.ocsp(signer.certificate, NOW - 2 * HOUR)]).valid
    assert verify(PAYLOAD, signature, [ca.certificate], ocsps=[ca.ocsp(signer.certificate)]).valid


def test_crls_are_loaded_from_der_and_pem_files(ca, signer, tmp_path):
    revoked = ca.crl([(signer.certificate, NOW - 2 * HOUR)])
    (tmp_path / "root.crl").write_bytes(revoked)
    pem = x509.load_der_x509_crl(ca.crl([])).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "other.crl").write_bytes(pem + pem)  # a PEM file may hold several
    (tmp_path / "notes.txt").write_text("not a CRL, not read")
    crls = load_crls(tmp_path)
    assert len(crls) == 3 and revoked in crls
    assert not verify(PAYLOAD, sign(PAYLOAD, signer, NOW - HOUR), [ca.certificate], crls=crls).valid
    assert load_crls(tmp_path / "missing") == []
    (tmp_path / "broken.crl").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="broken.crl is not a certificate revocation list"):
        load_crls(tmp_path)


def test_a_crl_out_of_date_at_the_signing_time_refuses_the_signature_R_3_11(ca, signer):
    # The validator's own rule, even in soft-fail: the CA's CRL is there but says nothing about that moment, so the
    # CRLs must be kept current (a CRL of another CA, or a newer one, does not matter).
    signature = sign(PAYLOAD, signer, NOW + 3 * 24 * HOUR)  # after the CRL's next update
    out_of_date = ca.crl([], next_update_days=1)
    result = verify(PAYLOAD, signature, [ca.certificate], crls=[out_of_date])
    assert not result.valid and "CRL is not recent enough" in result.reason
    assert verify(PAYLOAD, signature, [ca.certificate], crls=[out_of_date, ca.crl([], next_update_days=30)]).valid
