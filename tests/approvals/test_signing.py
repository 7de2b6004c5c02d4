"""Signatures over record versions: real CMS signatures with real certificates, verifiable by anyone (R-3.11, R-11.3)."""

import datetime
import hashlib

import pytest
from asn1crypto import cms

from approvals.signing import SoftwareSigner, canonical_payload, payload_hash, signed_attributes, verify
from approvals.testca import TestCA

PASSWORD = b"mat-khau-p12"


@pytest.fixture(scope="module")
def ca():
    return TestCA()


def payload(**changes):
    values = {"person_id": 7, "number": 2, "unit_code": "000.02.01.H19", "previous": "0" * 64,
              "record": {"identity": {"full_name": "Nguyễn Văn Dũng", "citizen_id": "075085001234"}}, "documents": ["ab" * 32]}
    values.update(changes)
    return canonical_payload(person_id=values["person_id"], number=values["number"], unit_code=values["unit_code"],
                             record=values["record"], documents=values["documents"], previous_hash=values["previous"])


def test_the_signed_bytes_are_canonical_json_chained_to_the_previous_version_R_11_3():
    first = payload()
    assert first == payload(record={"identity": {"citizen_id": "075085001234", "full_name": "Nguyễn Văn Dũng"}})  # key order
    assert b'"previous":"' + b"0" * 64 + b'"' in first and "Nguyễn".encode() in first
    assert payload_hash(first) != payload_hash(payload(previous="1" * 64))


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_software_key_signature_verifies_against_the_trusted_root_R_3_11(ca, kind):
    signer = SoftwareSigner(ca.pkcs12("Trần Quốc Bảo", PASSWORD, kind=kind), PASSWORD)
    data = payload()
    signature = signer.sign(data)
    assert cms.ContentInfo.load(signature)["content"]["encap_content_info"]["content"].native is None  # detached
    result = verify(data, signature, [ca.certificate])
    assert result.valid, result.reason
    assert "Trần Quốc Bảo" in result.signer_name and result.signed_at is not None


def test_a_signature_over_other_bytes_is_refused(ca):
    signer = SoftwareSigner(ca.pkcs12("Trần Quốc Bảo", PASSWORD), PASSWORD)
    signature = signer.sign(payload())
    result = verify(payload(number=3), signature, [ca.certificate])
    assert not result.valid and result.signer is not None


def test_a_certificate_from_an_untrusted_ca_is_refused(ca):
    stranger = TestCA("CA lạ")
    signature = SoftwareSigner(stranger.pkcs12("Kẻ giả mạo", PASSWORD), PASSWORD).sign(payload())
    assert not verify(payload(), signature, [ca.certificate]).valid
    assert verify(payload(), signature, [stranger.certificate]).valid


def test_an_expired_certificate_is_refused(ca):
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=800)
    signature = SoftwareSigner(ca.pkcs12("Hết hạn", PASSWORD, valid_from=old, days=365), PASSWORD).sign(payload())
    result = verify(payload(), signature, [ca.certificate])
    assert not result.valid and result.reason


def test_a_certificate_not_made_for_signing_is_refused(ca):
    signature = SoftwareSigner(ca.pkcs12("Chỉ mã hóa", PASSWORD, kind="rsa", can_sign=False), PASSWORD).sign(payload())
    assert not verify(payload(), signature, [ca.certificate]).valid


def test_garbage_is_not_a_signature(ca):
    result = verify(payload(), b"not a signature", [ca.certificate])
    assert not result.valid and result.reason



def test_the_signed_attributes_are_the_der_asn1crypto_would_encode(ca):
    _key, certificate = ca.issue("Trần Quốc Bảo")
    at = datetime.datetime(2026, 11, 27, 8, 30, tzinfo=datetime.UTC)
    built = signed_attributes(payload(), certificate, at)
    parsed = cms.CMSAttributes.load(built)
    assert parsed.dump(force=True) == built  # canonical DER, members in order
    assert {a["type"].native for a in parsed} == {"content_type", "signing_time", "message_digest", "signing_certificate_v2"}
    digest = next(a for a in parsed if a["type"].native == "message_digest")["values"][0].native
    assert digest == hashlib.sha256(payload()).digest()
