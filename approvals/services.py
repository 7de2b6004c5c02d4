"""Monthly approval by digital signature (R-3.10, R-3.11, R-6.6, R-7.1, R-7.2, R-19.1).

In the last days of each month the head of a unit, or a delegate authorized in writing, reviews what people submitted
and signs it: each approval makes the record's next version and its signature, in one transaction for the whole batch.
A deputy head signs the head's own record. The first campaign (R-19.1) signs records approved before signatures
existed. Signatures come from a software key or hardware token on the server, or from the approver's own tool in two
steps (the server prepares what is to be signed, the tool returns the signatures).
"""

import calendar
import datetime
import hashlib
import re
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from accounts.models import RoleGrant
from audit.services import record as audit
from audit.services import record_many, record_refusal
from common.crypto import blind_index
from common.errors import ServiceError
from common.text import nfc
from compliance.services import refresh_soon
from exchange.outbox import enqueue as enqueue_packets
from orgs.models import UnitVersion
from orgs.services import ancestors_on, children_map, subtree_ids, versions_on
from people.models import ChangeSet, Person, RecordVersion
from people.services import approved_record, change_set_sections, diff, is_own, make_version, version_record

from .models import ApprovalWindow, BatchItem, Rejection, SigningBatch, VersionSignature
from .signing import Verification, assemble, canonical_payload, load_crls, payload_hash, sign, signed_attributes, timestamp, verify

GENESIS = "0" * 64  # the "previous hash" of a record's first signed version
MAX_BATCH = 10_000


@cache
def trust_roots() -> tuple[x509.Certificate, ...]:
    """The trusted root certificates (APPROVAL_TRUST_ROOTS: a PEM bundle); the government and public CA roots in production."""
    path = settings.APPROVAL_TRUST_ROOTS
    return tuple(x509.load_pem_x509_certificates(path.read_bytes())) if path and path.exists() else ()


def revocation_lists() -> list[bytes]:
    """The CRLs of APPROVAL_CRL_DIR, read again for each batch or run: they are replaced as CAs publish new ones."""
    try:
        return load_crls(settings.APPROVAL_CRL_DIR)
    except ValueError as exc:
        raise ServiceError(str(exc), "crl") from exc


def _timestamped(signature: bytes) -> bytes:
    """The signature with an RFC 3161 timestamp when a timestamp authority is configured (CAdES-T)."""
    if not settings.APPROVAL_TSA_URL:
        return signature
    try:
        return timestamp(signature, settings.APPROVAL_TSA_URL)
    except ValueError as exc:
        raise ServiceError(str(exc), "timestamp") from exc


# ---- the approval round (R-7.1) ----

def regular_window(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last APPROVAL_WINDOW_DAYS days of the day's month."""
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return last - datetime.timedelta(days=settings.APPROVAL_WINDOW_DAYS - 1), last


def extra_windows(unit_id: int, day: datetime.date) -> list[ApprovalWindow]:
    """Rounds an administrator opened for the unit, or a unit above it, that are open on the day."""
    reaching = {unit_id} | {version.unit_id for version in ancestors_on(unit_id, day)}
    return list(ApprovalWindow.objects.filter(opens_on__lte=day, closes_on__gte=day, unit_id__in=reaching))


def window_open(unit_id: int, day: datetime.date) -> bool:
    start, end = regular_window(day)
    return start <= day <= end or bool(extra_windows(unit_id, day))


def open_window(actor, *, unit_id: int, opens_on: datetime.date, closes_on: datetime.date, reason: str, request=None) -> ApprovalWindow:
    """Open a round outside the last days of the month, for a unit and the units under it; the reason is required."""
    action = "approvals.open_window"
    if not authz.can(actor, action, unit_id):
        record_refusal(actor, action, reason="out of scope", unit_id=unit_id, request=request)
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    today = timezone.localdate()
    problem = None
    if not nfc(reason):
        problem = (_("Reason: say why the round is opened outside the last days of the month."), "reason")
    elif closes_on < opens_on:
        problem = (_("Closes on: must not be before the opening day."), "closes_on")
    elif closes_on < today:
        problem = (_("Closes on: the round would already be over."), "closes_on")
    elif (closes_on - opens_on).days > 31:
        problem = (_("Closes on: a round lasts at most 31 days."), "closes_on")
    if problem:
        record_refusal(actor, action, reason=str(problem[0]), unit_id=unit_id, request=request)
        raise ServiceError(*problem)
    with transaction.atomic():
        window = ApprovalWindow.objects.create(unit_id=unit_id, opens_on=opens_on, closes_on=closes_on, reason=nfc(reason), opened_by=actor)
        audit(actor, action, obj=window, unit_id=unit_id, details={"opens_on": str(opens_on), "closes_on": str(closes_on)}, request=request)
    return window


# ---- who approves (R-7.1) ----

def head_accounts(day: datetime.date) -> set[int]:
    """Accounts holding the unit head role on the day: their records are signed by a deputy head."""
    grants = RoleGrant.objects.filter(role__code="unit_head", revoked_at__isnull=True, valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return set(grants.values_list("user_id", flat=True))


def _lapsed_delegation(user, unit_id: int, day: datetime.date) -> RoleGrant | None:
    """A written delegation to approve that reaches the unit but is not valid on the day."""
    children = authz.tree_children(user, day)
    for grant in RoleGrant.objects.filter(user=user, role__code="approval_delegate", revoked_at__isnull=True).order_by("-valid_from"):
        if not grant.active_on(day) and (unit_id == grant.unit_id or (grant.include_subtree and unit_id in subtree_ids([grant.unit_id], children))):
            return grant
    return None


def approval_refusal(user, person: Person, day: datetime.date, heads: set[int] | None = None) -> str | None:
    """Why the user may not approve this record on the day, or None."""
    if is_own(user, person):
        return _("Nobody approves their own record.")
    is_head = person.account_id in (head_accounts(day) if heads is None else heads)
    if authz.can(user, "records.approve_head" if is_head else "records.approve", person.unit_id, day):
        return None
    if is_head and authz.can(user, "records.approve", person.unit_id, day):
        return _("The head's own record is approved by a deputy head.")
    lapsed = _lapsed_delegation(user, person.unit_id, day)
    return _delegation_lapsed(lapsed) if lapsed else _("This record is outside the units you approve.")


def _delegation_lapsed(grant: RoleGrant) -> str:
    end = grant.valid_to.strftime("%d/%m/%Y") if grant.valid_to else "…"
    return _("Your delegation to approve (%(document)s) is valid from %(start)s to %(end)s.") % {
        "document": grant.request or "", "start": grant.valid_from.strftime("%d/%m/%Y"), "end": end}


def may_approve_somewhere(user) -> bool:
    return authz.can(user, "records.approve") or authz.can(user, "records.approve_head")


def _require_approver(actor, action: str, request) -> None:
    """Refuse someone who approves nowhere today; a delegate whose written delegation is out of date is told so."""
    if may_approve_somewhere(actor):
        return
    lapsed = RoleGrant.objects.filter(user=actor, role__code="approval_delegate", revoked_at__isnull=True).order_by("-valid_from").first()
    if lapsed is not None:
        message = _delegation_lapsed(lapsed)
        record_refusal(actor, action, reason=message, request=request)
        raise ServiceError(message, "delegation")
    record_refusal(actor, action, reason="out of scope", request=request)
    raise PermissionDenied(_("You are not allowed to approve records."))


CITIZEN_ID_IN_CERTIFICATE = re.compile(r"^(?:CCCD|CMND)\s*:\s*(\d{9}|\d{12})$")


def certificate_refusal(user, certificate: x509.Certificate) -> str | None:
    """A signature is the approver's only when the certificate names them: Vietnamese public CAs write the holder's citizen ID
    (CCCD) in the subject's UID, which must match the account's."""
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.USER_ID):
        found = CITIZEN_ID_IN_CERTIFICATE.match(str(attribute.value).strip())
        if found and user.citizen_id_index and blind_index(found.group(1)) == user.citizen_id_index:
            return None
    if not user.citizen_id_index:
        return _("Sign with your personal account: this account is not linked to a citizen ID.")
    return _("This certificate belongs to someone other than you (%(subject)s).") % {"subject": certificate.subject.rfc4514_string()}


# ---- what waits for approval ----

@dataclass
class Item:
    """Something waiting for the approver's signature: a submitted change set, or a version never signed (R-19.1)."""

    person: Person
    change_set: ChangeSet | None

    @property
    def token(self) -> str:
        if self.change_set is None:
            return version_token(self.person.pk, self.person.version)
        return change_token(self.change_set.pk, self.change_set.base_version, self.change_set.submitted_at)


# Tokens name an item as it was shown: if it changes afterwards (resubmitted, another version approved), its token changes
# and an approval naming the old token is refused.
def change_token(change_set_id: int, base_version: int, submitted_at: datetime.datetime | None) -> str:
    return f"c{change_set_id}.{base_version}.{int(submitted_at.timestamp() * 1_000_000) if submitted_at else 0}"


def version_token(person_id: int, version: int) -> str:
    return f"v{person_id}.{version}"


def all_tokens(changes, unsigned) -> list[str]:
    """The tokens of whole lists (pending_changes, unsigned_people), read without loading the records."""
    tokens = [change_token(*row) for row in changes.values_list("pk", "base_version", "submitted_at")]
    return tokens + [version_token(*row) for row in unsigned.values_list("pk", "version")]


def _scoped(user, queryset, day: datetime.date, field: str = "unit_id", account: str = "account_id"):
    """Rows whose person the user may approve: others' records, heads' records only with the deputy's action."""
    heads = head_accounts(day)
    usual, of_heads = authz.scope(user, "records.approve", day), authz.scope(user, "records.approve_head", day)
    clauses = Q(pk__in=[])
    if usual:
        clauses |= (Q() if usual.everything else Q(**{f"{field}__in": usual.unit_ids})) & ~Q(**{f"{account}__in": heads})
    if of_heads:
        clauses |= (Q() if of_heads.everything else Q(**{f"{field}__in": of_heads.unit_ids})) & Q(**{f"{account}__in": heads})
    return queryset.filter(clauses).exclude(**{account: getattr(user, "pk", None)})


def pending_changes(user, day: datetime.date, unit_ids: set[int] | None = None):
    found = _scoped(user, ChangeSet.objects.filter(state=ChangeSet.State.SUBMITTED), day, "person__unit_id", "person__account_id")
    if unit_ids is not None:
        found = found.filter(person__unit_id__in=unit_ids)
    return found.select_related("person", "author").order_by("submitted_at", "pk")


def unsigned_people(user, day: datetime.date, unit_ids: set[int] | None = None):
    """Working records whose current version was never signed and that have no change waiting: the first campaign (R-19.1)."""
    signed = VersionSignature.objects.filter(version__person=OuterRef("pk"), version__number=OuterRef("version"))
    waiting = ChangeSet.objects.filter(person=OuterRef("pk"), state=ChangeSet.State.SUBMITTED)
    found = Person.objects.filter(version__gte=1).exclude(status__in=Person.CLOSED).exclude(Exists(signed)).exclude(Exists(waiting))
    if unit_ids is not None:
        found = found.filter(unit_id__in=unit_ids)
    return _scoped(user, found, day).order_by("search_key", "pk")


def list_fingerprint(tokens: list[str]) -> str:
    """One value for a whole list as shown, so "sign all" signs exactly what the approver saw."""
    return hashlib.sha256("\n".join(sorted(tokens)).encode()).hexdigest()


def unit_code(unit_id: int, day: datetime.date) -> str:
    """The unit's identifier code on a day."""
    return versions_on(day).filter(unit_id=unit_id).values_list("code", flat=True).first() or ""


def _previous_hash(person_id: int, number: int) -> str:
    earlier = VersionSignature.objects.filter(version__person_id=person_id, version__number__lt=number)
    return earlier.order_by("-version__number").values_list("payload_hash", flat=True).first() or GENESIS


class UnitCodes:
    """Units' identifier codes on any day, from the whole tree's history read once (a province's few thousand unit versions):
    for runs over many record versions."""

    def __init__(self):
        self._history: dict[int, list] | None = None

    def code(self, unit_id: int, day: datetime.date) -> str:
        if self._history is None:
            self._history = {}
            for unit, start, end, code in UnitVersion.objects.values_list("unit_id", "valid_from", "valid_to", "code"):
                self._history.setdefault(unit, []).append((start, end, code))
        return next((code for start, end, code in self._history.get(unit_id, ()) if start <= day and (end is None or day < end)), "")


def version_payload(version: RecordVersion, previous_hash: str, unit_codes: UnitCodes | None = None, expected_hash: str = "") -> bytes:
    """The canonical bytes of a version as stored now: its record, its proofs' SHA-256, its unit's code and the chain
    (`expected_hash`: what they hashed to when signed, see signing.canonical_bytes)."""
    documents = list(version.change_set.attachments.values_list("document__sha256", flat=True)) if version.change_set_id else []
    code = unit_codes.code(version.unit_id, version.valid_from) if unit_codes else unit_code(version.unit_id, version.valid_from)
    return canonical_payload(person_id=version.person_id, number=version.number, unit_code=code, record=version_record(version),
                             documents=documents, previous_hash=previous_hash, expected_hash=expected_hash)


def _chain_ends(items: list[Item]) -> tuple[dict[int, str], dict[int, RecordVersion], "UnitCodes"]:
    """For a batch (one item per person): each person's last signed hash, the current versions of the campaign's items, and a
    unit-code reader; read once for the batch."""
    latest = latest_hashes([item.person.pk for item in items])
    return latest, _current_versions([item.person for item in items if item.change_set is None]), UnitCodes()


def _future_payloads(items: list[Item], day: datetime.date) -> list[tuple[bytes, str]]:
    """What each item's version will be once approved today, and the previous link of its chain (for the external signer)."""
    latest, current, codes = _chain_ends(items)
    made = []
    for item in items:
        person, previous = item.person, latest.get(item.person.pk, GENESIS)
        if item.change_set is None:
            made.append((version_payload(current[person.pk], previous, codes), previous))
            continue
        record = {**approved_record(person), **change_set_sections(item.change_set)}
        documents = list(item.change_set.attachments.values_list("document__sha256", flat=True))
        made.append((canonical_payload(person_id=person.pk, number=person.version + 1, unit_code=codes.code(person.unit_id, day),
                                       record=record, documents=documents, previous_hash=previous), previous))
    return made


def _versions_to_sign(actor, items: list[Item], day: datetime.date):
    """(item, version, previous hash, payload) for each item: its version made now from its change set, or its current one
    (first campaign), chained after the person's last signed version. Runs in the batch's transaction."""
    latest, current, codes = _chain_ends(items)
    for item in items:
        version = make_version(actor, item.change_set, valid_from=day) if item.change_set else current[item.person.pk]
        previous = latest.get(item.person.pk, GENESIS)
        yield item, version, previous, version_payload(version, previous, codes)


# ---- approving ----

def _resolve(actor, tokens: list[str], day: datetime.date) -> list[Item]:
    """The items named by the tokens, their people locked; refused if any changed since shown or is not the actor's to approve."""
    tokens = list(dict.fromkeys(tokens))
    if not tokens:
        raise ServiceError(_("Choose at least one record to approve."), "items")
    if len(tokens) > MAX_BATCH:
        raise ServiceError(_("At most %(count)s records can be signed in one batch.") % {"count": MAX_BATCH}, "items")
    change_set_ids, person_ids = {}, {}
    for token in tokens:
        found = re.fullmatch(r"c(\d+)\.\d+\.\d+|v(\d+)\.\d+", token)
        if not found:
            raise ServiceError(_("“%(token)s” does not name a change or a record to approve.") % {"token": token[:40]}, "items")
        if found.group(1):
            change_set_ids[int(found.group(1))] = token
        else:
            person_ids[int(found.group(2))] = token
    change_sets = {cs.pk: cs for cs in ChangeSet.objects.filter(pk__in=change_set_ids).select_related("data_key")}
    wanted = set(person_ids) | {cs.person_id for cs in change_sets.values()}
    people = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    heads = head_accounts(day)
    items = []
    for pk, token in change_set_ids.items():
        change_set = change_sets.get(pk)
        if change_set is not None:
            change_set.person = people[change_set.person_id]
        items.append((token, Item(change_set.person, change_set) if change_set else None))
    items += [(token, Item(people[pk], None) if pk in people else None) for pk, token in person_ids.items()]
    resolved, seen = [], set()
    for token, item in items:
        if item is None or (item.change_set is not None and item.change_set.state != ChangeSet.State.SUBMITTED) or item.token != token:
            name = item.person.full_name if item else token[:40]
            raise ServiceError(_("%(name)s: the record changed after it was shown to you; review it again.") % {"name": name}, "items")
        if item.person.pk in seen:
            raise ServiceError(_("%(name)s: one approval per record in a batch.") % {"name": item.person.full_name}, "items")
        seen.add(item.person.pk)
        refusal = approval_refusal(actor, item.person, day, heads)
        if refusal:
            raise ServiceError(f"{item.person.full_name}: {refusal}", "items")
        if not window_open(item.person.unit_id, day):
            start, _end = regular_window(day)
            raise ServiceError(_("Approvals are signed in the last days of the month (from %(start)s); outside them an administrator "
                                 "opens a round.") % {"start": start.strftime("%d/%m/%Y")}, "items")
        resolved.append(item)
    return resolved


def _current_versions(people: list[Person]) -> dict[int, RecordVersion]:
    """Person -> their current approved version, with its data key, in one query."""
    numbers = {person.pk: person.version for person in people}
    found = RecordVersion.objects.filter(person_id__in=numbers).select_related("data_key")
    return {v.person_id: v for v in found if numbers[v.person_id] == v.number}


def _certificate_checked(actor, certificate: x509.Certificate) -> None:
    refusal = certificate_refusal(actor, certificate)
    if refusal:
        raise ServiceError(refusal, "certificate")


def _signature(version: RecordVersion, previous: str, payload: bytes, signature: bytes, certificate, actor, at) -> VersionSignature:
    return VersionSignature(version=version, payload_hash=payload_hash(payload), previous_hash=previous, signature=signature,
                            signer_subject=certificate.subject.rfc4514_string(), signer_serial=format(certificate.serial_number, "x"),
                            signed_at=at, signed_by=actor)


def _store(actor, items: list[Item], signatures: list[VersionSignature], request) -> list[VersionSignature]:
    """The batch's signatures and their audit events, in bulk: a first campaign signs thousands at once."""
    stored = VersionSignature.objects.bulk_create(signatures, batch_size=1000)
    record_many(actor, "approvals.approve", Person, [
        (item.person.pk, item.person.unit_id, {"version": signature.version.number, "change_set": item.change_set.pk if item.change_set else None,
                                               "signer": signature.signer_serial})
        for item, signature in zip(items, stored, strict=True)], request=request)
    return stored


def _refused(actor, action: str, exc: ServiceError, request, **details):
    record_refusal(actor, action, reason=exc.message, details=details, request=request)
    raise exc


def approve(actor, tokens: list[str], signer, *, request=None) -> list[VersionSignature]:
    """Approve and sign the items in one batch with a signer held by the server (PKCS#12 key, hardware token):
    each becomes the person's next version (or its current one, in the first campaign), chained and signed. All or nothing."""
    action = "approvals.approve"
    _require_approver(actor, action, request)
    day, now = timezone.localdate(), timezone.now()
    try:
        _certificate_checked(actor, signer.certificate)
        with transaction.atomic():
            items, made = _resolve(actor, tokens, day), []
            for _item, version, previous, payload in _versions_to_sign(actor, items, day):
                signature = _timestamped(sign(payload, signer, at=now))
                if not made:  # the same key signs them all: one full check of its certificate is enough
                    _check_verification(verify(payload, signature, list(trust_roots()), crls=revocation_lists()))
                made.append(_signature(version, previous, payload, signature, signer.certificate, actor, now))
            made = _store(actor, items, made, request)
            enqueue_packets(made)
            refresh_soon([signature.version.person_id for signature in made])
    except ServiceError as exc:
        _refused(actor, action, exc, request, tokens=len(tokens))
    return made


def _check_verification(result: Verification, name: str = "") -> None:
    if not result.valid:
        raise ServiceError(f"{name}: {result.reason}" if name else result.reason, "signature")


def _parse_chain(pem: str) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        chain = []
    if not chain:
        raise ServiceError(_("Certificate: give the signer's certificate (and its chain) in PEM form."), "certificate")
    return chain


def prepare_batch(actor, tokens: list[str], certificates_pem: str, *, request=None) -> SigningBatch:
    """Step one of external signing: what each item's version will be, and the attribute bytes the approver's tool must sign."""
    action = "approvals.prepare"
    _require_approver(actor, action, request)
    day, now = timezone.localdate(), timezone.now()
    try:
        certificate, *chain = _parse_chain(certificates_pem)
        _certificate_checked(actor, certificate)
        if certificate.not_valid_after_utc < now:
            raise ServiceError(_("Certificate: it expired on %(day)s.") % {"day": certificate.not_valid_after_utc.strftime("%d/%m/%Y")},
                               "certificate")
        with transaction.atomic():
            batch = SigningBatch.objects.create(approver=actor, certificates=certificates_pem,
                                                expires_at=now + datetime.timedelta(minutes=settings.APPROVAL_BATCH_MINUTES))
            rows = []
            items = _resolve(actor, tokens, day)
            for item, (payload, previous) in zip(items, _future_payloads(items, day), strict=True):
                rows.append(BatchItem(batch=batch, person=item.person, change_set=item.change_set, token=item.token, previous_hash=previous,
                                      payload_hash=payload_hash(payload), signed_attributes=signed_attributes(payload, certificate, now)))
            BatchItem.objects.bulk_create(rows)
            audit(actor, action, obj=batch, details={"items": len(rows), "signer": certificate.subject.rfc4514_string()}, request=request)
    except ServiceError as exc:
        _refused(actor, action, exc, request, tokens=len(tokens))
    return batch


def complete_batch(actor, batch: SigningBatch, signatures: dict[int, bytes], *, request=None) -> list[VersionSignature]:
    """Step two: the signatures the approver's tool made over each item's attribute bytes. Each is checked against the
    version as it is now; any change since step one, any bad signature, refuses the whole batch."""
    action = "approvals.complete"
    if batch.approver_id != getattr(actor, "pk", None):
        record_refusal(actor, action, reason="not the batch's approver", details={"batch": batch.pk}, request=request)
        raise PermissionDenied(_("This batch was prepared for another approver."))
    day, now = timezone.localdate(), timezone.now()
    try:
        with transaction.atomic():
            batch = SigningBatch.objects.select_for_update().get(pk=batch.pk)
            if batch.state != SigningBatch.State.PREPARED:
                raise ServiceError(_("This batch is already %(state)s.") % {"state": batch.get_state_display()}, "batch")
            if batch.expires_at < now:
                raise ServiceError(_("This batch expired at %(time)s; prepare it again.")
                                   % {"time": timezone.localtime(batch.expires_at).strftime("%H:%M %d/%m/%Y")}, "batch")
            certificate, *chain = x509.load_pem_x509_certificates(batch.certificates.encode())
            batch_items = list(batch.items.all())
            missing = [row.pk for row in batch_items if row.pk not in signatures]
            if missing or set(signatures) - {row.pk for row in batch_items}:
                raise ServiceError(_("Give exactly one signature for each item of the batch."), "signatures")
            by_token = {item.token: item for item in _resolve(actor, [row.token for row in batch_items], day)}
            items = [by_token[row.token] for row in batch_items]
            crls = revocation_lists()
            made = []
            for row, (item, version, previous, payload) in zip(batch_items, _versions_to_sign(actor, items, day), strict=True):
                if payload_hash(payload) != row.payload_hash or previous != row.previous_hash:
                    raise ServiceError(_("%(name)s: the record changed after the batch was prepared; prepare it again.")
                                       % {"name": item.person.full_name}, "batch")
                signature = assemble(bytes(row.signed_attributes), signatures[row.pk], certificate, chain)
                _check_verification(verify(payload, signature, list(trust_roots()), crls=crls), item.person.full_name)
                made.append(_signature(version, previous, payload, _timestamped(signature), certificate, actor, now))
            made = _store(actor, items, made, request)
            batch.state, batch.finished_at = SigningBatch.State.COMPLETED, now
            batch.save(update_fields=["state", "finished_at"])
            enqueue_packets(made)
            refresh_soon([item.person.pk for item in items])
    except ServiceError as exc:
        SigningBatch.objects.filter(pk=batch.pk, state=SigningBatch.State.PREPARED).update(
            state=SigningBatch.State.REFUSED, finished_at=now, reason=exc.message)
        _refused(actor, action, exc, request, batch=batch.pk)
    return made


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


# ---- sending back (R-7.2) ----

def change_paths(change_set: ChangeSet) -> dict[str, str]:
    """Field path -> label of what the change set changes: what a reason can be attached to."""
    base = approved_record(change_set.person, change_set.base_version)
    paths = {}
    for change in diff(base, {**base, **change_set_sections(change_set)}):
        path = f"{change.section}.{change.field}" if change.row is None else f"{change.section}.{change.row}.{change.field}"
        paths[path] = change.label
    return paths


def reject(actor, change_set: ChangeSet, *, reasons: dict[str, str], note: str = "", request=None) -> Rejection:
    """Send submitted changes back to the person with what to correct, field by field; they correct and submit again.
    Every rejection stays in the change set's history."""
    action = "approvals.reject"
    person = change_set.person
    day = timezone.localdate()
    if not (authz.can(actor, "records.approve", person.unit_id) or authz.can(actor, "records.approve_head", person.unit_id)):
        record_refusal(actor, action, reason="out of scope", unit_id=person.unit_id, request=request)
        raise PermissionDenied(_("You are not allowed to do this for this record."))
    try:
        refusal = approval_refusal(actor, person, day)
        if refusal:
            raise ServiceError(refusal, "change_set")
        with transaction.atomic():
            locked = ChangeSet.objects.select_for_update(of=("self",)).select_related("data_key", "person").get(pk=change_set.pk)
            if locked.state != ChangeSet.State.SUBMITTED:
                raise ServiceError(_("Only submitted changes can be sent back."), "change_set")
            paths = change_paths(locked)
            cleaned = {path: nfc(text)[:500] for path, text in reasons.items() if nfc(text)}
            unknown = sorted(set(cleaned) - set(paths))
            if unknown:
                raise ServiceError(_("%(field)s: not among the changes submitted.") % {"field": unknown[0]}, unknown[0])
            if not cleaned and not nfc(note):
                raise ServiceError(_("Reason: say what must be corrected, field by field or in a note."), "reasons")
            rejection = Rejection.objects.create(change_set=locked, reasons=cleaned, note=nfc(note), rejected_by=actor)
            locked.state, locked.reason = ChangeSet.State.DRAFT, nfc(note) or "; ".join(f"{paths[p]}: {t}" for p, t in cleaned.items())
            locked.save(update_fields=["state", "reason"])
            audit(actor, action, obj=locked, unit_id=person.unit_id, details={"person": person.pk, "fields": sorted(cleaned)}, request=request)
            transaction.on_commit(lambda: _notify_rejection(locked, rejection, paths))
            refresh_soon([person.pk])  # the correction is now due
    except ServiceError as exc:
        _refused(actor, action, exc, request, change_set=change_set.pk)
    return rejection


def _notify_rejection(change_set: ChangeSet, rejection: Rejection, labels: dict[str, str]) -> None:
    """Tell the person (and whoever entered the changes) what to correct."""
    recipients = {user.email for user in (change_set.person.account, change_set.author) if user is not None and user.email}
    if not recipients:
        return
    lines = [f"- {labels.get(path, path)}: {text}" for path, text in rejection.reasons.items()]
    if rejection.note:
        lines.append(rejection.note)
    body = _("Your changes to the record were sent back for correction by %(who)s:\n%(reasons)s\n\nCorrect them and submit again.") % {
        "who": rejection.rejected_by.get_full_name() or rejection.rejected_by.username, "reasons": "\n".join(lines)}
    send_mail(_("Record changes to correct"), body, None, sorted(recipients), fail_silently=True)


# ---- verifying again ----

def latest_hashes(person_ids) -> dict[int, str]:
    """Person -> the payload hash of their last signed version (absent: none signed yet), in one query."""
    rows = VersionSignature.objects.filter(version__person_id__in=person_ids).order_by("version__person_id", "version__number")
    return dict(rows.values_list("version__person_id", "payload_hash"))


def previous_hashes(person_ids) -> dict[tuple[int, int], str]:
    """(person, version number) -> the payload hash of the person's signed version before it, for many people in one query."""
    chains: dict[tuple[int, int], str] = {}
    last: dict[int, str] = {}
    rows = VersionSignature.objects.filter(version__person_id__in=person_ids).order_by("version__person_id", "version__number")
    for person_id, number, digest in rows.values_list("version__person_id", "version__number", "payload_hash"):
        chains[(person_id, number)] = last.get(person_id, GENESIS)
        last[person_id] = digest
    return chains


def verify_version(signature: VersionSignature, roots=None, crls: list[bytes] | None = None, *, unit_codes: UnitCodes | None = None,
                   previous: str | None = None) -> Verification:
    """Recompute what was signed from the stored data and check the signature: any change to the record, its proofs,
    or an earlier link of the chain makes it fail (tamper detection). A run over many signatures passes what it read in bulk:
    the units' codes and the previous link of each chain (previous_hashes)."""
    version = signature.version
    payload = version_payload(version, signature.previous_hash, unit_codes, signature.payload_hash)
    if payload_hash(payload) != signature.payload_hash:
        return Verification(False, _("The stored record no longer matches what was signed."))
    if signature.previous_hash != (_previous_hash(version.person_id, version.number) if previous is None else previous):
        return Verification(False, _("The chain of versions was altered."))
    return verify(payload, bytes(signature.signature), list(trust_roots() if roots is None else roots), at=signature.signed_at,
                  crls=revocation_lists() if crls is None else crls)


def unit_status(user, unit_id: int, day: datetime.date | None = None) -> dict:
    """Where a unit and the units under it in the caller's scope stand in the month's approval (R-7.1): the records at work and
    those whose current version is signed, the versions signed this month, the changes awaiting approval and the drafts."""
    day = day or timezone.localdate()
    authz.require(user, "people.view", unit_id, day)
    allowed = authz.scope(user, "people.view", day)
    unit_ids = {unit for unit in subtree_ids([unit_id], children_map(day)) if unit in allowed}
    working = Person.objects.filter(unit_id__in=unit_ids).exclude(status__in=Person.CLOSED)
    current = VersionSignature.objects.filter(version__person=OuterRef("pk"), version__number=OuterRef("version"))
    month_start = timezone.make_aware(datetime.datetime.combine(day.replace(day=1), datetime.time.min))
    changes = ChangeSet.objects.filter(person__unit_id__in=unit_ids)
    start, end = regular_window(day)
    counts = {"working": working.count(), "signed": working.filter(Exists(current)).count(),
              "signed_this_month": VersionSignature.objects.filter(version__person__unit_id__in=unit_ids, signed_at__gte=month_start).count(),
              "pending": changes.filter(state=ChangeSet.State.SUBMITTED).count(), "drafts": changes.filter(state=ChangeSet.State.DRAFT).count()}
    return {"unit_id": unit_id, "day": day, "round_opens_on": start, "round_closes_on": end, "open_today": window_open(unit_id, day),
            **counts, "unsigned": counts["working"] - counts["signed"]}
