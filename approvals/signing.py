"""Signatures over approved record versions (R-3.11, R-11.3).

What is signed is the canonical JSON (RFC 8785) of a version: its record, the SHA-256 of each attached document, the
unit's identifier code, the version number and the hash of the previous version, so versions form a chain. The
signature is a detached CMS SignedData (SHA-256, RSA or ECDSA) carrying the signer's certificate and chain, optionally
with an RFC 3161 timestamp over the signature value (CAdES-T). Verification checks the message digest, the signature
over the signed attributes, the timestamp when there is one, and the certificate's path to a trusted root with its key
usage and revocation (from the CRLs and OCSP responses given) at the signing time, the timestamp's time when there is one.
"""

import asyncio
import datetime
import functools
import hashlib
import json
import os
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import rfc8785
from asn1crypto import cms, core, pem, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils.translation import gettext as _
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError, PathBuildingError, PathError, PathValidationError, RevokedError, ValidationError

FORMAT = "cbccvc-record-version/1"
# Digests accepted inside signatures and timestamps, by their asn1crypto names.
HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def canonical_payload(*, person_id: int, number: int, unit_code: str, record: dict, documents: list[str], previous_hash: str,
                      expected_hash: str = "") -> bytes:
    """The bytes an approver signs for a version (RFC 8785 canonical JSON)."""
    return canonical_bytes({"format": FORMAT, "person": person_id, "version": number, "unit": unit_code, "record": record,
                            "documents": sorted(documents), "previous": previous_hash}, expected_hash)


def payload_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def canonical_bytes(content, expected_hash: str = "") -> bytes:
    """RFC 8785 bytes of `content`. Checking stored or received data, the caller knows what they should hash to: json's C
    encoder is tried first, ten times faster, and a matching hash proves its bytes are the canonical ones (for our payloads,
    string keys and no floats, they are); otherwise, and when signing, the reference encoder decides."""
    if expected_hash:
        quick = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
        if payload_hash(quick) == expected_hash:
            return quick
    return rfc8785.dumps(content)


def signed_attributes(payload: bytes, certificate: x509.Certificate, at: datetime.datetime) -> bytes:
    """The CAdES-BES signed attributes over a payload (content type, signing time, message digest, and the signer's
    certificate hash): the DER bytes a signer signs, in the server or in the signer's own tool.

    A batch's attributes differ only by the digest, so the others are encoded once per certificate and time (encoding them
    with asn1crypto took longer than signing)."""
    digest = _DIGEST_ATTRIBUTE_PREFIX + hashlib.sha256(payload).digest()
    # DER orders the members of a SET OF by their encoding.
    members = b"".join(sorted([*_fixed_attributes(certificate.public_bytes(serialization.Encoding.DER), at.astimezone(datetime.UTC)), digest]))
    return b"\x31" + _der_length(len(members)) + members


# The message-digest attribute up to its 32 digest bytes.
_DIGEST_ATTRIBUTE_PREFIX = cms.CMSAttribute({"type": "message_digest", "values": [bytes(32)]}).dump()[:-32]


@functools.lru_cache(maxsize=64)
def _fixed_attributes(certificate: bytes, at: datetime.datetime) -> tuple[bytes, ...]:
    return (
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump(),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": at.replace(microsecond=0)})]}).dump(),
        cms.CMSAttribute({"type": "signing_certificate_v2",
                          "values": [tsp.SigningCertificateV2({"certs": [{"cert_hash": hashlib.sha256(certificate).digest()}]})]}).dump(),
    )


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


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


class TimeStampResponse(core.Sequence):
    """RFC 3161's TimeStampResp, whose token is absent when the request is refused; asn1crypto's requires one."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def timestamp(signature: bytes, tsa_url: str, timeout: float = 10) -> bytes:
    """The signature with an RFC 3161 timestamp token over its signature value added as an unsigned attribute (CAdES-T):
    a third party's proof that the signature existed then, which the signer's own clock cannot give."""
    content = cms.ContentInfo.load(signature)
    signer_info = content["content"]["signer_infos"][0]
    imprint = hashlib.sha256(signer_info["signature"].native).digest()
    nonce = secrets.randbits(64)
    request = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": imprint},
                                "nonce": nonce, "cert_req": True})
    if urllib.parse.urlsplit(tsa_url).scheme not in ("http", "https"):
        raise ValueError(_("The timestamp authority %(url)s is not an HTTP address.") % {"url": tsa_url})
    headers = {"Content-Type": "application/timestamp-query"}
    http_request = urllib.request.Request(tsa_url, data=request.dump(), headers=headers, method="POST")  # noqa: S310 - the scheme is checked above
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as answer:  # noqa: S310 - the scheme is checked above
            body = answer.read()
    except OSError as exc:
        raise ValueError(_("The timestamp authority %(url)s cannot be reached: %(why)s") % {"url": tsa_url, "why": exc}) from exc
    not_a_timestamp = _("The timestamp authority %(url)s did not answer with a timestamp.") % {"url": tsa_url}
    try:
        response = TimeStampResponse.load(body)
        status = response["status"]["status"].native
        why = " ".join(response["status"]["status_string"].native or []) or status
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(not_a_timestamp) from exc
    if status not in ("granted", "granted_with_mods"):
        raise ValueError(_("The timestamp authority %(url)s refused the request: %(why)s") % {"url": tsa_url, "why": why})
    try:
        token = response["time_stamp_token"]
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        answered_nonce = tst_info["nonce"].native
        answered_imprint = (tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native, tst_info["message_imprint"]["hashed_message"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(not_a_timestamp) from exc
    # The nonce proves the answer is to this request, not a replayed one.
    if answered_nonce != nonce:
        raise ValueError(_("The timestamp authority %(url)s answered another request (wrong nonce).") % {"url": tsa_url})
    if answered_imprint != ("sha256", imprint):
        raise ValueError(_("The timestamp authority %(url)s timestamped other data than this signature.") % {"url": tsa_url})
    unsigned = list(signer_info["unsigned_attrs"] or ())
    signer_info["unsigned_attrs"] = cms.CMSAttributes([*unsigned, cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})])
    return content.dump()


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str = ""
    signer: x509.Certificate | None = None
    signed_at: datetime.datetime | None = None  # as the signer claims it
    timestamped_at: datetime.datetime | None = None  # as a trusted timestamp authority attests it

    @property
    def signer_name(self) -> str:
        return self.signer.subject.rfc4514_string() if self.signer else ""


def _attribute(attributes, name):
    for attribute in attributes or ():
        if attribute["type"].native == name:
            return attribute["values"][0]
    return None


def load_crls(directory: Path) -> list[bytes]:
    """The certificate revocation lists of a directory's *.crl files (DER or PEM, a PEM file may hold several), as DER;
    none when the directory does not exist."""
    crls = []
    for path in sorted(directory.glob("*.crl")):
        data = path.read_bytes()
        try:
            blocks = [der for _type, _headers, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
            for der in blocks:
                x509.load_der_x509_crl(der)
        except ValueError as exc:
            raise ValueError(_("%(file)s is not a certificate revocation list.") % {"file": path}) from exc
        crls.extend(blocks)
    return crls


def verify(payload: bytes, signature: bytes, trust_roots: list[x509.Certificate], *, at: datetime.datetime | None = None,
           crls: Sequence[bytes] = (), ocsps: Sequence[bytes] = ()) -> Verification:
    """Is `signature` a valid detached CMS signature over `payload` by a certificate that chains to a trusted root and was
    not revoked (by the DER `crls` and `ocsps` given; without them revocation is not checked) when it signed?"""
    try:
        content = cms.ContentInfo.load(signature)
        signed_data = content["content"]
        signer_info = signed_data["signer_infos"][0]
        certificates = [c.chosen for c in signed_data["certificates"] or []]
    except (ValueError, TypeError, KeyError, IndexError):
        return Verification(False, _("The signature is not a CMS signature."))
    signer_asn1 = _signer_certificate(signer_info, certificates)
    if signer_asn1 is None:
        return Verification(False, _("The signature does not carry the signer's certificate."))
    signer = x509.load_der_x509_certificate(signer_asn1.dump())
    signed_attrs = signer_info["signed_attrs"]
    to_check = _as_set(signed_attrs)
    digest = _attribute(signed_attrs, "message_digest")
    if digest is None or digest.native != hashlib.sha256(payload).digest():
        return Verification(False, _("The signature is over other data than this version."), signer)
    if not _names_certificate(signed_attrs, signer_asn1):
        return Verification(False, _("The signature names another certificate than the one it carries."), signer)
    signing_time = _attribute(signed_attrs, "signing_time")
    signed_at = signing_time.native if signing_time is not None else (at or datetime.datetime.now(datetime.UTC))
    raw = signer_info["signature"].native
    try:
        _verify_raw(signer.public_key(), raw, to_check, hashes.SHA256())
    except TypeError:
        return Verification(False, _("Only RSA and ECDSA keys are accepted."), signer, signed_at)
    except InvalidSignature:
        return Verification(False, _("The signature does not match the signer's key."), signer, signed_at)
    token = _attribute(signer_info["unsigned_attrs"], "signature_time_stamp_token")
    timestamped_at = None
    if token is not None:
        timestamped_at, problem = _check_timestamp(token, raw, trust_roots, crls, ocsps)
        if problem:
            return Verification(False, problem, signer, signed_at)
    # A timestamp is a third party's word for when the signature existed; the signing time is only the signer's.
    roots = tuple(root.public_bytes(serialization.Encoding.DER) for root in trust_roots)
    problem = _check_path_once(signer_asn1.dump(), tuple(c.dump() for c in certificates), roots, timestamped_at or signed_at, tuple(crls),
                               tuple(ocsps))
    return Verification(problem is None, problem or "", signer, signed_at, timestamped_at)


def _as_set(signed_attrs) -> bytes:
    """The signed attributes as the signer signed them: their own DER bytes under the SET tag instead of the [0] tag.
    Call it before reading any attribute: asn1crypto then still holds the bytes as received, and re-encoding them (untag(),
    or dump() once children were read) costs more than the whole signature check."""
    return b"\x31" + signed_attrs.dump()[1:]


def _signer_certificate(signer_info, certificates):
    """The certificate, among those a SignedData carries, that its SignerInfo names."""
    sid = signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        wanted = sid.chosen
        serial, issuer = wanted["serial_number"].native, wanted["issuer"]
        # Comparing the encoded names first: asn1crypto's name comparison normalizes, which is slow and rarely needed.
        return next((c for c in certificates if c.serial_number == serial and (c.issuer.dump() == issuer.dump() or c.issuer == issuer)), None)
    return next((c for c in certificates if c.key_identifier == sid.chosen.native), None)


def _names_certificate(signed_attrs, certificate) -> bool:
    """Does the signing-certificate attribute, when there is one, name this certificate (so it cannot be substituted)?"""
    certificate_ids = _attribute(signed_attrs, "signing_certificate_v2")
    if certificate_ids is None:
        return True
    first = certificate_ids["certs"][0]
    algorithm = first["hash_algorithm"]["algorithm"].native
    return algorithm in HASHES and first["cert_hash"].native == hashlib.new(algorithm, certificate.dump()).digest()


def _verify_raw(public_key, raw: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> None:
    """Raises InvalidSignature when `raw` is not the key's signature over `data`, TypeError for a key neither RSA nor ECDSA."""
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(raw, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(raw, data, ec.ECDSA(algorithm))
    else:
        raise TypeError(type(public_key).__name__)


def _check_timestamp(token, signature_value: bytes, trust_roots, crls, ocsps) -> tuple[datetime.datetime | None, str | None]:
    """When a timestamp token attests the signature value existed, or why it cannot be believed: it must be over this
    signature value, signed by its timestamp authority, whose certificate chains to a trusted root for timestamping."""
    try:
        signed_data = token["content"]
        encapsulated = signed_data["encap_content_info"]
        if token["content_type"].native != "signed_data" or encapsulated["content_type"].native != "tst_info":
            return None, _("The timestamp is not an RFC 3161 timestamp token.")
        tst_info = encapsulated["content"].parsed
        imprint_algorithm = tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native
        imprint = tst_info["message_imprint"]["hashed_message"].native
        generated_at = tst_info["gen_time"].native
        certificates = [c.chosen for c in signed_data["certificates"] or []]
        signer_info = signed_data["signer_infos"][0]
        authority = _signer_certificate(signer_info, certificates)
        signed_by_authority = authority is not None and _token_signed_by(signer_info, authority, bytes(encapsulated["content"]))
    except (ValueError, TypeError, KeyError, IndexError):
        return None, _("The timestamp is not an RFC 3161 timestamp token.")
    if imprint_algorithm not in HASHES or imprint != hashlib.new(imprint_algorithm, signature_value).digest():
        return None, _("The timestamp is over other data than this signature.")
    if not signed_by_authority:
        return None, _("The timestamp's own signature is not valid.")
    try:
        _validate_path(authority, certificates, trust_roots, generated_at, crls, ocsps, extended_key_usage={"time_stamping"})
    except (PathError, ValidationError) as exc:
        return None, _("The timestamp does not come from a trusted timestamp authority: %(why)s") % {"why": exc}
    return generated_at, None


def _token_signed_by(signer_info, certificate, content: bytes) -> bool:
    """Do the token's signed attributes hold the digest of its TSTInfo, and does the authority's key sign them?"""
    signed_attrs = signer_info["signed_attrs"]
    to_check = _as_set(signed_attrs)
    algorithm = signer_info["digest_algorithm"]["algorithm"].native
    content_type, digest = _attribute(signed_attrs, "content_type"), _attribute(signed_attrs, "message_digest")
    if algorithm not in HASHES or content_type is None or content_type.native != "tst_info" or digest is None:
        return False
    if digest.native != hashlib.new(algorithm, content).digest() or not _names_certificate(signed_attrs, certificate):
        return False
    try:
        _verify_raw(x509.load_der_x509_certificate(certificate.dump()).public_key(), signer_info["signature"].native, to_check,
                    HASHES[algorithm]())
    except (InvalidSignature, TypeError):
        return False
    return True


@functools.cache
def _validation_loop() -> asyncio.AbstractEventLoop:
    """The validator is asynchronous; its coroutines run on a loop of their own thread, so verification works from any
    caller, including one whose thread already runs an event loop."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="certificate-validation", daemon=True).start()
    return loop


# A forked worker (verify_approvals --workers) inherits the loop but not its thread: it starts its own.
os.register_at_fork(after_in_child=_validation_loop.cache_clear)


def _validate_path(certificate, certificates, trust_roots, moment, crls, ocsps, extended_key_usage=None) -> None:
    """Raises pyhanko-certvalidator's errors unless the certificate chains to a trusted root, allows digital signatures
    (and the extended usages asked), and was valid and not revoked at `moment`."""
    roots = [asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER)) for root in trust_roots]
    # Soft-fail: a certificate is checked only when it declares a CRL distribution point or an OCSP responder (public
    # CAs' do), and only against the CRLs and OCSP responses given; without them nothing is checked.
    # Retroactive: revocation data published after `moment` (today's CRL for last year's signature) is evidence about that
    # moment; the validator then compares the revocation date with `moment`. Otherwise it finds such data "too recent"
    # and refuses the certificate.
    context = ValidationContext(trust_roots=roots, moment=moment, allow_fetching=False, revocation_mode="soft-fail", crls=list(crls),
                                ocsps=list(ocsps), retroactive_revinfo=True)
    validator = CertificateValidator(certificate, intermediate_certs=[c for c in certificates if c is not certificate], validation_context=context)
    usage = validator.async_validate_usage({"digital_signature"}, extended_key_usage=extended_key_usage)
    asyncio.run_coroutine_threadsafe(usage, _validation_loop()).result()


@functools.lru_cache(maxsize=256)
def _check_path_once(signer: bytes, certificates: tuple[bytes, ...], roots: tuple[bytes, ...], moment: datetime.datetime,
                     crls: tuple[bytes, ...], ocsps: tuple[bytes, ...]) -> str | None:
    """_check_path for DER inputs, remembered: a batch's signatures share their certificate and signing time, so re-verifying
    100,000 of them validates each certificate path once per batch instead of once per signature."""
    loaded = [asn1_x509.Certificate.load(der) for der in certificates]
    signer_asn1 = next(c for c, der in zip(loaded, certificates, strict=True) if der == signer)
    return _check_path(signer_asn1, loaded, [x509.load_der_x509_certificate(der) for der in roots], moment, crls, ocsps)


def _check_path(signer, certificates, trust_roots, moment, crls=(), ocsps=()) -> str | None:
    """Why the signer's certificate cannot be trusted for a signature made at `moment`, if it cannot."""
    try:
        _validate_path(signer, certificates, trust_roots, moment, crls, ocsps)
    except PATH_ERRORS as exc:
        return path_problem(exc)
    return None


PATH_ERRORS = (PathBuildingError, RevokedError, PathValidationError, InvalidCertificateError, ValidationError)


def path_problem(exc: Exception) -> str:
    """What a failed certificate-path validation means to the signer, in their language (approvals and signed exports)."""
    if isinstance(exc, PathBuildingError):
        return _("The signer's certificate does not come from a trusted certification authority.")
    if isinstance(exc, RevokedError):
        return _("The signer's certificate was revoked.")
    if isinstance(exc, PathValidationError):
        return _("The signer's certificate is not valid at the signing time: %(why)s") % {"why": exc}
    return _("The signer's certificate cannot be used to sign: %(why)s") % {"why": exc}
