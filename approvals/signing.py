"""Signatures over approved record versions (R-3.11, R-11.3).

What is signed is the canonical JSON (RFC 8785) of a version: its record, the SHA-256 of each attached document, the
unit's identifier code, the version number and the hash of the previous version, so versions form a chain. The
signature is a detached CMS SignedData (SHA-256, RSA or ECDSA) carrying the signer's certificate and chain.
Verification checks the message digest, the signature over the signed attributes, and the certificate's path to a
trusted root with its key usage, at the signing time.
"""

import asyncio
import datetime
import functools
import hashlib
import threading
from dataclasses import dataclass
from typing import Protocol

import rfc8785
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils.translation import gettext as _
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError, PathBuildingError, PathValidationError, RevokedError, ValidationError

FORMAT = "cbccvc-record-version/1"


def canonical_payload(*, person_id: int, number: int, unit_code: str, record: dict, documents: list[str], previous_hash: str) -> bytes:
    """The bytes an approver signs for a version (RFC 8785 canonical JSON)."""
    return rfc8785.dumps({"format": FORMAT, "person": person_id, "version": number, "unit": unit_code, "record": record,
                          "documents": sorted(documents), "previous": previous_hash})


def payload_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def signed_attributes(payload: bytes, certificate: x509.Certificate, at: datetime.datetime) -> bytes:
    """The CAdES-BES signed attributes over a payload (content type, signing time, message digest, and the signer's
    certificate hash): the DER bytes a signer signs, in the server or in the signer's own tool."""
    certificate_hash = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": at.astimezone(datetime.UTC).replace(microsecond=0)})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(payload).digest()]}),
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2({"certs": [{"cert_hash": certificate_hash}]})]}),
    ]
    # DER orders the members of a SET OF by their encoding.
    return cms.CMSAttributes(sorted(attributes, key=lambda attribute: attribute.dump())).dump()


def assemble(attributes: bytes, raw_signature: bytes, certificate: x509.Certificate, chain: list[x509.Certificate]) -> bytes:
    """A detached CMS SignedData from signed attributes, the signature over them, and the signer's certificate and chain."""
    signer = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    algorithm = "sha256_ecdsa" if isinstance(certificate.public_key(), ec.EllipticCurvePublicKey) else "sha256_rsa"
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {"issuer": signer.issuer, "serial_number": signer.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": cms.CMSAttributes.load(attributes),
        "signature_algorithm": {"algorithm": algorithm},
        "signature": raw_signature,
    })
    extra = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    signed_data = cms.SignedData({
        "version": "v1", "digest_algorithms": [{"algorithm": "sha256"}], "encap_content_info": {"content_type": "data"},
        "certificates": [signer, *extra], "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def raw_sign(key, data: bytes) -> bytes:
    """A private key's SHA-256 signature over data: PKCS#1 v1.5 for RSA, DER-encoded ECDSA."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


class Signer(Protocol):
    """What signs: a certificate, its chain, and a key that signs bytes with SHA-256 (software, hardware token, ...)."""

    certificate: x509.Certificate
    chain: list[x509.Certificate]

    def sign_raw(self, data: bytes) -> bytes: ...


def sign(payload: bytes, signer: Signer, at: datetime.datetime | None = None) -> bytes:
    attributes = signed_attributes(payload, signer.certificate, at or datetime.datetime.now(datetime.UTC))
    return assemble(attributes, signer.sign_raw(attributes), signer.certificate, signer.chain)


class SoftwareSigner:
    """A key and certificate from a PKCS#12 file: the agency seal, or a developer's key."""

    def __init__(self, p12: bytes, password: bytes | None):
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(p12, password)
        except ValueError as exc:
            raise ValueError(_("The PKCS#12 file cannot be opened: wrong password or not a PKCS#12 file.")) from exc
        if key is None or certificate is None:
            raise ValueError(_("The PKCS#12 file holds no key and certificate."))
        self.key, self.certificate, self.chain = key, certificate, chain

    def sign_raw(self, data: bytes) -> bytes:
        return raw_sign(self.key, data)

    def sign(self, payload: bytes) -> bytes:
        return sign(payload, self)


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str = ""
    signer: x509.Certificate | None = None
    signed_at: datetime.datetime | None = None

    @property
    def signer_name(self) -> str:
        return self.signer.subject.rfc4514_string() if self.signer else ""


def _attribute(signed_attrs, name):
    for attribute in signed_attrs:
        if attribute["type"].native == name:
            return attribute["values"][0]
    return None


def verify(payload: bytes, signature: bytes, trust_roots: list[x509.Certificate], *, at: datetime.datetime | None = None) -> Verification:
    """Is `signature` a valid detached CMS signature over `payload` by a certificate that chains to a trusted root?"""
    try:
        content = cms.ContentInfo.load(signature)
        signed_data = content["content"]
        signer_info = signed_data["signer_infos"][0]
        certificates = [c.chosen for c in signed_data["certificates"] or []]
    except (ValueError, TypeError, KeyError, IndexError):
        return Verification(False, _("The signature is not a CMS signature."))
    serial = signer_info["sid"].chosen["serial_number"].native if signer_info["sid"].name == "issuer_and_serial_number" else None
    signer_asn1 = next((c for c in certificates if c.serial_number == serial), None)
    if signer_asn1 is None:
        return Verification(False, _("The signature does not carry the signer's certificate."))
    signer = x509.load_der_x509_certificate(signer_asn1.dump())
    signed_attrs = signer_info["signed_attrs"]
    digest = _attribute(signed_attrs, "message_digest")
    if digest is None or digest.native != hashlib.sha256(payload).digest():
        return Verification(False, _("The signature is over other data than this version."), signer)
    certificate_ids = _attribute(signed_attrs, "signing_certificate_v2")
    if certificate_ids is not None and certificate_ids["certs"][0]["cert_hash"].native != hashlib.sha256(signer_asn1.dump()).digest():
        return Verification(False, _("The signature names another certificate than the one it carries."), signer)
    signing_time = _attribute(signed_attrs, "signing_time")
    signed_at = signing_time.native if signing_time is not None else (at or datetime.datetime.now(datetime.UTC))
    to_check = signed_attrs.untag().dump()
    raw = signer_info["signature"].native
    public_key = signer.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, to_check, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(raw, to_check, ec.ECDSA(hashes.SHA256()))
        else:
            return Verification(False, _("Only RSA and ECDSA keys are accepted."), signer, signed_at)
    except InvalidSignature:
        return Verification(False, _("The signature does not match the signer's key."), signer, signed_at)
    problem = _check_path(signer_asn1, certificates, trust_roots, signed_at)
    return Verification(problem is None, problem or "", signer, signed_at)


@functools.cache
def _validation_loop() -> asyncio.AbstractEventLoop:
    """The validator is asynchronous; its coroutines run on a loop of their own thread, so verification works from any
    caller, including one whose thread already runs an event loop."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="certificate-validation", daemon=True).start()
    return loop


def _check_path(signer, certificates, trust_roots, moment) -> str | None:
    """The signer's certificate must chain to a trusted root, allow digital signatures, and be valid at the signing time."""
    roots = [asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER)) for root in trust_roots]
    context = ValidationContext(trust_roots=roots, moment=moment, allow_fetching=False, revocation_mode="soft-fail")
    validator = CertificateValidator(signer, intermediate_certs=[c for c in certificates if c is not signer], validation_context=context)
    try:
        asyncio.run_coroutine_threadsafe(validator.async_validate_usage({"digital_signature"}), _validation_loop()).result()
    except PathBuildingError:
        return _("The signer's certificate does not come from a trusted certification authority.")
    except RevokedError:
        return _("The signer's certificate was revoked.")
    except PathValidationError as exc:
        return _("The signer's certificate is not valid at the signing time: %(why)s") % {"why": exc}
    except (InvalidCertificateError, ValidationError) as exc:
        return _("The signer's certificate cannot be used to sign: %(why)s") % {"why": exc}
    return None
