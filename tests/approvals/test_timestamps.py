"""RFC 3161 timestamps on approval signatures (CAdES-T): a trusted third party's word for when a version was signed (R-3.11)."""

import datetime

import pytest
from asn1crypto import cms
from django.utils import translation

from approvals.signing import SoftwareSigner, TimeStampResponse, sign, timestamp, verify
from approvals.testca import TestCA, TestTSA

PASSWORD = b"mat-khau-p12"
PAYLOAD = b'{"format":"cbccvc-record-version/1","person":7,"version":2}'  # canonical payloads are tested in test_signing


@pytest.fixture(autouse=True)
def english():
    """Reasons are asserted in English here."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def ca():
    return TestCA()


@pytest.fixture(scope="module")
def signer(ca):
    return SoftwareSigner(ca.pkcs12("Trần Quốc Bảo", PASSWORD), PASSWORD)


@pytest.fixture
def tsa(ca):
    return TestTSA(*ca.issue_tsa("Dịch vụ cấp dấu thời gian thử nghiệm"))


def token_of(signature: bytes) -> cms.ContentInfo:
    attributes = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]["unsigned_attrs"]
    return next(a for a in attributes if a["type"].native == "signature_time_stamp_token")["values"][0]


def with_token(signature: bytes, token: cms.ContentInfo) -> bytes:
    content = cms.ContentInfo.load(signature)
    content["content"]["signer_infos"][0]["unsigned_attrs"] = [{"type": "signature_time_stamp_token", "values": [token]}]
    return content.dump()


def test_a_signature_timestamped_over_http_verifies_and_says_when_R_3_11(ca, signer, tsa):
    claimed = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(hours=2)
    signature = sign(PAYLOAD, signer, claimed)
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with tsa.serve() as url:
        stamped = timestamp(signature, url)
    after = datetime.datetime.now(datetime.UTC)
    result = verify(PAYLOAD, stamped, [ca.certificate])
    assert result.valid, result.reason
    assert result.signed_at == claimed  # the signer's word, kept
    assert before <= result.timestamped_at <= after  # the authority's, when it answered
    assert verify(PAYLOAD, signature, [ca.certificate]).timestamped_at is None


def test_a_timestamp_taken_from_another_signature_is_refused_R_3_11(ca, signer, tsa):
    with tsa.serve() as url:
        stamped = timestamp(sign(PAYLOAD, signer), url)
    other = sign(PAYLOAD, signer)  # ECDSA: another signature value over the same bytes
    result = verify(PAYLOAD, with_token(other, token_of(stamped)), [ca.certificate])
    assert not result.valid and result.reason == "The timestamp is over other data than this signature."


def test_a_backdated_timestamp_is_refused_R_3_11(ca, signer, tsa):
    with tsa.serve() as url:
        stamped = timestamp(sign(PAYLOAD, signer), url)
    token = token_of(stamped)
    encapsulated = token["content"]["encap_content_info"]
    tst_info = encapsulated["content"].parsed
    tst_info["gen_time"] = tst_info["gen_time"].native - datetime.timedelta(days=30)
    encapsulated["content"] = cms.ParsableOctetString(tst_info.dump())
    result = verify(PAYLOAD, with_token(stamped, token), [ca.certificate])
    assert not result.valid and result.reason == "The timestamp's own signature is not valid."


def test_a_timestamp_from_an_untrusted_authority_is_refused_R_3_11(ca, signer):
    stranger = TestCA("CA lạ")
    with TestTSA(*stranger.issue_tsa("TSA lạ")).serve() as url:
        stamped = timestamp(sign(PAYLOAD, signer), url)
    result = verify(PAYLOAD, stamped, [ca.certificate])
    assert not result.valid and result.reason.startswith("The timestamp does not come from a trusted timestamp authority")
    assert verify(PAYLOAD, stamped, [ca.certificate, stranger.certificate]).valid


def test_a_certificate_not_made_for_timestamping_cannot_timestamp_R_3_11(ca, signer):
    with TestTSA(*ca.issue("Không phải TSA")).serve() as url:
        stamped = timestamp(sign(PAYLOAD, signer), url)
    result = verify(PAYLOAD, stamped, [ca.certificate])
    assert not result.valid and "time stamping" in result.reason


def test_a_tsa_refusing_the_request_makes_timestamp_fail_R_3_11(signer, tsa):
    tsa.status = "rejection"
    with tsa.serve() as url, pytest.raises(ValueError, match="refused the request: Yêu cầu cấp dấu thời gian bị từ chối"):
        timestamp(sign(PAYLOAD, signer), url)


def test_an_answer_to_another_request_makes_timestamp_fail_R_3_11(signer, tsa):
    tsa.wrong_nonce = True
    with tsa.serve() as url, pytest.raises(ValueError, match="wrong nonce"):
        timestamp(sign(PAYLOAD, signer), url)


def test_an_unreachable_tsa_makes_timestamp_fail_naming_it_R_3_11(signer, tsa):
    with tsa.serve() as url:
        pass  # the port is closed again
    with pytest.raises(ValueError, match=f"The timestamp authority {url} cannot be reached"):
        timestamp(sign(PAYLOAD, signer), url, timeout=5)


def test_only_http_addresses_are_asked_for_timestamps(signer):
    with pytest.raises(ValueError, match="not an HTTP address"):
        timestamp(sign(PAYLOAD, signer), "file:///etc/passwd")


@pytest.mark.parametrize("answer", [b"not DER", TimeStampResponse({"status": {"status": "granted"}}).dump()])
def test_an_answer_without_a_timestamp_makes_timestamp_fail_R_3_11(signer, tsa, answer):
    tsa.respond = lambda request: answer
    with tsa.serve() as url, pytest.raises(ValueError, match="did not answer with a timestamp"):
        timestamp(sign(PAYLOAD, signer), url)
