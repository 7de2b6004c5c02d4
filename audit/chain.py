"""The tamper-evident audit log (R-4.2, R-13.7): events are linked into a hash chain, and each night the chain's head is
signed with the system's audit key.

Events are written inside the business transactions that cause them; linking them there would make every write of the
province wait on one lock. The sealer links them afterwards instead (each night, and on `verify_audit --seal`), oldest
first, once they are AUDIT_SEAL_SECONDS old (by then their transaction has committed). Each entry's hash covers the hash
before it, so an entry changed, removed or slipped in breaks every link after it, and the signed checkpoints pin the chain.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditCheckpoint, AuditEvent

GENESIS = "0" * 64
BATCH = 5000
# An entry dated this much before the one linked before it was not written by the application (which writes in time order).
OUT_OF_ORDER = datetime.timedelta(hours=1)


def _content(event: AuditEvent) -> bytes:
    return json.dumps([event.chain_index, event.pk, event.at.astimezone(datetime.UTC).isoformat(), event.actor_id, event.action,
                       event.outcome, event.object_type, event.object_id, event.unit_id, event.details, event.ip_address],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def link(previous_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(previous_hash.encode() + _content(event)).hexdigest()


def _head() -> tuple[int, str]:
    found = AuditEvent.objects.filter(chain_index__isnull=False).order_by("-chain_index").values_list("chain_index", "entry_hash").first()
    return found or (0, GENESIS)


def seal(older_than: datetime.timedelta | None = None) -> int:
    """Link the events not yet in the chain, in the order they were written; returns how many. Two sealers at once cannot
    both take a place in the chain (chain_index is unique): the second stops and the next run goes on."""
    cutoff = timezone.now() - (datetime.timedelta(seconds=settings.AUDIT_SEAL_SECONDS) if older_than is None else older_than)
    sealed = 0
    while True:
        try:
            with transaction.atomic():
                index, previous = _head()
                batch = list(AuditEvent.objects.filter(chain_index__isnull=True, at__lte=cutoff).order_by("pk")[:BATCH])
                for event in batch:
                    index += 1
                    event.chain_index = index
                    event.entry_hash = previous = link(previous, event)
                AuditEvent.objects.bulk_update(batch, ["chain_index", "entry_hash"], batch_size=1000)
        except IntegrityError:
            return sealed
        sealed += len(batch)
        if len(batch) < BATCH:
            return sealed


def signing_key() -> Ed25519PrivateKey:
    """The system's audit key, derived from AUDIT_SIGNING_KEY (by default the SECRET_KEY of the installation)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cbccvc audit checkpoint").derive(settings.AUDIT_SIGNING_KEY.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _statement(index: int, head_hash: str) -> bytes:
    return f"cbccvc-audit-checkpoint/1 {index} {head_hash}".encode()


def checkpoint() -> AuditCheckpoint | None:
    """Seal what is due, then sign the chain's head (the nightly run); None when nothing new was linked since the last one."""
    seal()
    index, head_hash = _head()
    if not index or AuditCheckpoint.objects.filter(chain_index__gte=index).exists():
        return None
    key = signing_key()
    return AuditCheckpoint.objects.create(chain_index=index, head_hash=head_hash, public_key=public_key_hex(key.public_key()),
                                          signature=key.sign(_statement(index, head_hash)))


@dataclass
class Report:
    checked: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _checkpoint_problems(checkpoints: list[AuditCheckpoint]) -> list[str]:
    public = signing_key().public_key()
    found = []
    for point in checkpoints:
        try:
            public.verify(bytes(point.signature), _statement(point.chain_index, point.head_hash))
        except InvalidSignature:
            found.append(_("The checkpoint at entry %(n)s is not signed by this installation's audit key.") % {"n": point.chain_index})
    return found


def verify(now: datetime.datetime | None = None) -> Report:
    """Walk the whole chain: recompute every link, find gaps, and check it against the signed checkpoints."""
    now = now or timezone.now()
    checkpoints = list(AuditCheckpoint.objects.order_by("chain_index"))
    report = Report(checkpoints=len(checkpoints), problems=_checkpoint_problems(checkpoints))
    pinned = {point.chain_index: point for point in checkpoints}
    previous, expected, previous_at = GENESIS, 1, None
    for event in AuditEvent.objects.filter(chain_index__isnull=False).order_by("chain_index").iterator(chunk_size=BATCH):
        report.checked += 1
        if event.chain_index != expected:
            report.problems.append(_("Entries %(first)s to %(last)s of the chain are missing (deleted).")
                                   % {"first": expected, "last": event.chain_index - 1})
        if link(previous, event) != event.entry_hash:
            report.problems.append(_("Entry %(n)s (event %(pk)s, %(action)s) was altered, or an entry before it was.")
                                   % {"n": event.chain_index, "pk": event.pk, "action": event.action})
        if previous_at is not None and event.at < previous_at - OUT_OF_ORDER:
            report.problems.append(_("Entry %(n)s (event %(pk)s) is dated long before the entry linked before it: it was written "
                                     "outside the application.") % {"n": event.chain_index, "pk": event.pk})
        point = pinned.get(event.chain_index)
        if point is not None and point.head_hash != event.entry_hash:
            report.problems.append(_("The chain up to entry %(n)s no longer leads to the hash signed in its checkpoint of %(day)s.")
                                   % {"n": event.chain_index, "day": timezone.localtime(point.made_at).strftime("%d/%m/%Y")})
        previous, expected, previous_at = event.entry_hash, event.chain_index + 1, event.at
    if checkpoints and checkpoints[-1].chain_index >= expected:
        report.problems.append(_("Entries %(first)s to %(last)s, pinned by a signed checkpoint, are missing (deleted).")
                               % {"first": expected, "last": checkpoints[-1].chain_index})
    stale = AuditEvent.objects.filter(chain_index__isnull=True, at__lt=now - datetime.timedelta(days=2)).count()
    if stale:
        report.problems.append(_("%(count)s events older than two days are outside the chain: written behind the sealer's back, or the "
                                 "nightly run has stopped.") % {"count": stale})
    return report

