"""Approval signatures by a key on a hardware token, against a real SoftHSM2 token made for this module (R-3.11)."""

import subprocess
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import translation
from pkcs11 import Attribute, CertificateType, KeyType, MechanismFlag, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

from approvals.pkcs11 import Pkcs11Signer
from approvals.signing import canonical_payload, sign, verify
from approvals.testca import TestCA

LIBRARY = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "So Y te"
PIN = "246810"
NAMES = {"rsa": "Trần Quốc Bảo", "ec": "Lê Thị Hồng Nhung"}

pytestmark = pytest.mark.skipif(not Path(LIBRARY).exists(), reason=f"SoftHSM2 is not installed ({LIBRARY}); .ci/run installs Debian's softhsm2")


def payload(number=1):
    return canonical_payload(person_id=1, number=number, unit_code="000.00.01.H19", record={"identity": {"full_name": "Trần Quốc Bảo"}},
                             documents=[], previous_hash="0" * 64)


def generate_on_token(session, kind):
    """A key pair made by the token, whose private half can sign but never leave it; and its public half for the CA."""
    options = {"label": kind, "id": kind.encode(), "store": True, "capabilities": MechanismFlag.SIGN | MechanismFlag.VERIFY,
               "private_template": {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}}
    if kind == "rsa":
        public, _ = session.generate_keypair(KeyType.RSA, 2048, **options)
        return serialization.load_der_public_key(encode_rsa_public_key(public))
    curve = session.create_domain_parameters(KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
    public, _ = curve.generate_keypair(**options)
    return serialization.load_der_public_key(encode_ec_public_key(public))


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A fresh token holding an RSA and an EC key, each with its certificate from the test CA stored beside it."""
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    (directory / "softhsm2.conf").write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    authority = TestCA()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOFTHSM2_CONF", str(directory / "softhsm2.conf"))
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--so-pin", "13579111", "--pin", PIN], check=True, capture_output=True)
        with pkcs11.lib(LIBRARY).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
            for kind, name in NAMES.items():
                _, certificate = authority.issue(name, public_key=generate_on_token(session, kind))
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                    Attribute.LABEL: kind, Attribute.ID: kind.encode(), Attribute.SUBJECT: certificate.subject.public_bytes(),
                    Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
                })
        yield authority
        pkcs11.unload(LIBRARY)  # SoftHSM reads SOFTHSM2_CONF when loaded: let a later load see another


@pytest.fixture(autouse=True)
def english():
    """Messages are matched by their English msgid, whatever their Vietnamese translation says."""
    with translation.override("en"):
        yield


def signer(kind="rsa", **changes):
    return Pkcs11Signer(**{"library": LIBRARY, "token_label": TOKEN, "pin": PIN, "key_label": kind, **changes})


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_key_on_a_hardware_token_signs_a_verifiable_approval_R_3_11(ca, kind):
    with signer(kind) as token:
        signature = sign(payload(), token)
    result = verify(payload(), signature, [ca.certificate])
    assert result.valid, result.reason
    assert NAMES[kind] in result.signer_name
    assert isinstance(result.signer.public_key(), ec.EllipticCurvePublicKey) == (kind == "ec")


def test_the_certificate_is_read_from_the_token_when_not_given_R_3_11(ca):
    with signer("ec") as token:
        stored = token.certificate
    assert stored.issuer == ca.certificate.subject and NAMES["ec"] in stored.subject.rfc4514_string()
    with signer("ec", certificate=stored, chain=[ca.certificate]) as given:
        assert given.certificate == stored and given.chain == [ca.certificate]
        assert verify(payload(), sign(payload(), given), [ca.certificate]).valid


def test_a_batch_of_approvals_logs_in_once_and_each_signature_verifies_R_3_11(ca):
    with signer("ec") as token:
        signatures = [sign(payload(number), token) for number in range(1, 21)]
    assert all(verify(payload(number), signature, [ca.certificate]).valid for number, signature in enumerate(signatures, start=1))


def test_a_wrong_pin_is_refused_and_nothing_is_signed(ca):
    with pytest.raises(ValueError, match="PIN was refused"):
        signer(pin="000000")
    with signer() as token:  # the refusal left the token usable
        assert verify(payload(), sign(payload(), token), [ca.certificate]).valid


def test_a_missing_key_or_token_or_library_is_refused(ca):
    with pytest.raises(ValueError, match="no private key labelled “seal”"):
        signer(key_label="seal")
    with pytest.raises(ValueError, match="No token labelled “So Noi vu”"):
        signer(token_label="So Noi vu")
    with pytest.raises(ValueError, match="cannot be used"):
        signer(library="/usr/lib/no-such-pkcs11.so")
    with signer() as token:  # the failed key search logged the token out again
        assert NAMES["rsa"] in token.certificate.subject.rfc4514_string()


def test_a_second_open_signer_on_the_same_token_is_refused_and_a_closed_one_signs_no_more(ca):
    with signer("rsa") as token, pytest.raises(ValueError, match="already open for another signer"):
        signer("ec")
    with pytest.raises(ValueError, match="session is closed"):
        token.sign_raw(b"x")


def test_a_token_signature_over_one_version_does_not_verify_for_another_R_3_11(ca):
    with signer("ec") as token:
        signature = sign(payload(1), token)
    result = verify(payload(2), signature, [ca.certificate])
    assert not result.valid and "other data" in result.reason
