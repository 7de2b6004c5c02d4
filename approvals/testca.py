"""A certification authority for the test suite and the demo: real keys and certificates, never trusted in production."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str, citizen_id: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if citizen_id:  # as Vietnamese public CAs write it in a personal certificate's subject
        attributes.append(x509.NameAttribute(NameOID.USER_ID, f"CCCD:{citizen_id}"))
    return x509.Name(attributes)


def _key(kind: str):
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TestCA:
    """A root that issues signer certificates."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "CA thử nghiệm CSDL CBCCVC", kind: str = "ec"):
        self.key = _key(kind)
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name)).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=3650))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, common_name: str, *, kind: str = "ec", valid_from: datetime.datetime | None = None, days: int = 730,
              can_sign: bool = True, citizen_id: str = "", public_key=None) -> tuple[object, x509.Certificate]:
        """A key (None when `public_key` is given: certify a key held elsewhere, say on a token) and its certificate."""
        key = None if public_key is not None else _key(kind)
        start = valid_from or datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
        certificate = (
            x509.CertificateBuilder().subject_name(_name(common_name, citizen_id)).issuer_name(self.certificate.subject).public_key(public_key or key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=can_sign, content_commitment=can_sign, key_encipherment=not can_sign,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return key, certificate

    def pkcs12(self, common_name: str, password: bytes, **options) -> bytes:
        key, certificate = self.issue(common_name, **options)
        return pkcs12.serialize_key_and_certificates(common_name.encode(), key, certificate, [self.certificate],
                                                     serialization.BestAvailableEncryption(password))
