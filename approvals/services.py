"""Signing approved record versions and verifying them again (R-3.11, R-11.3)."""

import datetime
from functools import cache

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from orgs.services import versions_on
from people.models import RecordVersion
from people.services import version_record

from .models import VersionSignature
from .signing import Verification, canonical_payload, payload_hash, verify

GENESIS = "0" * 64  # the "previous hash" of a record's first signed version


@cache
def trust_roots() -> tuple[x509.Certificate, ...]:
    """The trusted root certificates (APPROVAL_TRUST_ROOTS: a PEM bundle); the government and public CA roots in production."""
    path = settings.APPROVAL_TRUST_ROOTS
    return tuple(x509.load_pem_x509_certificates(path.read_bytes())) if path and path.exists() else ()


def _previous_hash(version: RecordVersion) -> str:
    earlier = VersionSignature.objects.filter(version__person_id=version.person_id, version__number__lt=version.number)
    found = earlier.order_by("-version__number").values_list("payload_hash", flat=True).first()
    return found or GENESIS


def _unit_code(unit_id: int, day: datetime.date) -> str:
    """The unit's identifier code on the day the version took effect."""
    return versions_on(day).filter(unit_id=unit_id).values_list("code", flat=True).first() or ""


def version_payload(version: RecordVersion, previous_hash: str) -> bytes:
    """The canonical bytes of a version as stored now: its record, its proofs' SHA-256, its unit's code and the chain."""
    documents = list(version.change_set.attachments.values_list("document__sha256", flat=True)) if version.change_set_id else []
    return canonical_payload(person_id=version.person_id, number=version.number, unit_code=_unit_code(version.unit_id, version.valid_from),
                             record=version_record(version), documents=documents, previous_hash=previous_hash)


@transaction.atomic
def sign_versions(actor, versions: list[RecordVersion], signer) -> list[VersionSignature]:
    """Sign versions in one batch (a head signs their whole unit, R-19.1), each chained to the person's previous signature."""
    made = []
    for version in sorted(versions, key=lambda v: (v.person_id, v.number)):
        previous = _previous_hash(version)
        payload = version_payload(version, previous)
        certificate = signer.certificate
        made.append(VersionSignature.objects.create(
            version=version, payload_hash=payload_hash(payload), previous_hash=previous, signature=signer.sign(payload),
            signer_subject=certificate.subject.rfc4514_string(), signer_serial=format(certificate.serial_number, "x"),
            signed_at=datetime.datetime.now(datetime.UTC), signed_by=actor))
    return made


def verify_version(signature: VersionSignature, roots=None) -> Verification:
    """Recompute what was signed from the stored data and check the signature: any change to the record, its proofs,
    or an earlier link of the chain makes it fail (tamper detection)."""
    version = signature.version
    payload = version_payload(version, signature.previous_hash)
    if payload_hash(payload) != signature.payload_hash:
        return Verification(False, _("The stored record no longer matches what was signed."))
    if signature.previous_hash != _previous_hash(version):
        return Verification(False, _("The chain of versions was altered."))
    return verify(payload, bytes(signature.signature), list(trust_roots() if roots is None else roots), at=signature.signed_at)
