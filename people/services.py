"""The personnel record: reading it as any user may see it, editing it through change sets, versions, statuses, search.

A record is a document of sections (people/form.py). Approved versions are immutable snapshots; edits by the
person or an HR officer collect in one open change set per person and reach the record only when accepted.
"""

import datetime
import functools
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from accounts.models import User
from accounts.services import account_after_departure
from audit.services import record as audit
from audit.services import record_refusal, refuse, refusing
from catalogs.models import CatalogEntry
from common.crypto import blind_index, current_data_key, seal, unseal
from common.errors import ServiceError, document_too_large
from common.text import nfc, search_key
from compliance.services import refresh_soon
from orgs.services import children_map, subtree_ids, versions_on

from .form import BY_NAME, SECTIONS, empty_record, section
from .models import Attachment, ChangeSet, Document, Person, RecordCheck, RecordVersion, StatusChange
from .validation import CatalogCodes, check_record, clean_section, completeness

# What an upload must start with to be what it claims: the bytes decide, not the file name.
SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


# ---- the record as a document, split into clear and encrypted parts ----

@functools.cache
def _encrypted_keys() -> frozenset[str]:
    data = json.loads((settings.BASE_DIR / "data" / "field_sensitivity.json").read_text(encoding="utf-8"))
    return frozenset(data.get("encrypted", []))


def split(record: dict) -> tuple[dict, dict]:
    """(clear, secret): the fields configured as encrypted go to the secret part, whole rows for repeating sections."""
    clear, secret = {}, {}
    keys = _encrypted_keys()
    for name, value in record.items():
        sec = section(name)
        if sec.repeating:
            (secret if sec.sensitivity in keys else clear)[name] = value
            continue
        for field_name, field_value in value.items():
            part = secret if sec.sensitivity_of(sec.fields_by_name[field_name]) in keys else clear
            part.setdefault(name, {})[field_name] = field_value
    return clear, secret


def _merge(parts, into: dict) -> dict:
    """Put the sections of each part into `into`; a section split over parts has its fields united."""
    for part in parts:
        for name, value in part.items():
            into[name] = value if isinstance(value, list) else {**into.get(name, {}), **value}
    return into


def join(clear: dict, secret: dict) -> dict:
    return _merge((clear, secret), empty_record())


def _sealed_parts(record: dict, key) -> tuple[dict, bytes]:
    """The clear part, and the secret part encrypted under the data key."""
    clear, secret = split(record)
    return clear, seal(secret, key)


def version_record(version: RecordVersion) -> dict:
    return join(version.content, unseal(version.sealed, version.data_key))


def change_set_sections(change_set: ChangeSet) -> dict:
    """The sections a change set replaces, decrypted."""
    secret = unseal(change_set.sealed, change_set.data_key) if change_set.sealed else {}
    return _merge((change_set.content, secret), {})


def approved_record(person: Person, number: int | None = None) -> dict:
    """An approved version (the last by default); an empty record before the first approval."""
    number = person.version if number is None else number
    if number == 0:
        return empty_record()
    return version_record(person.versions.select_related("data_key").get(number=number))


def record_as_of(person: Person, day: datetime.date) -> tuple[dict, RecordVersion | None]:
    """The record as it stood on a day: the last version approved to take effect by then."""
    version = person.versions.select_related("data_key").filter(valid_from__lte=day).order_by("-number").first()
    return (version_record(version) if version else empty_record()), version


def open_change_set(person: Person) -> ChangeSet | None:
    return person.change_sets.filter(state__in=ChangeSet.OPEN).select_related("data_key", "author").first()


def working_record(person: Person, pending: ChangeSet | None | bool = True) -> dict:
    """What a form starts from (R-4.5): the approved record with the pending changes on top (the open change set, looked up
    unless the caller already has it)."""
    record = approved_record(person)
    pending = open_change_set(person) if pending is True else pending
    if pending:
        record.update(change_set_sections(pending))
    return record


# ---- who may do what ----

def is_own(user, person: Person) -> bool:
    return person.account_id is not None and person.account_id == getattr(user, "pk", None)


def can_view(user, person: Person) -> bool:
    return (is_own(user, person) and authz.can(user, "self.view")) or authz.can(user, "people.view", person.unit_id)


def can_edit(user, person: Person) -> bool:
    return (is_own(user, person) and authz.can(user, "self.edit")) or authz.can(user, "people.edit", person.unit_id)


def _deny(actor, action, unit_id, request):
    record_refusal(actor, action, reason="out of scope", unit_id=unit_id, request=request)
    raise PermissionDenied(_("You are not allowed to do this for this record."))


def _locked(change_set: ChangeSet) -> ChangeSet:
    """The change set as stored now, locked until the transaction ends."""
    return ChangeSet.objects.select_for_update(of=("self",)).select_related("data_key", "person").get(pk=change_set.pk)


def require_view(user, person: Person, request=None) -> None:
    if not can_view(user, person):
        _deny(user, "people.view", person.unit_id, request)


def visible_sections(user, person: Person) -> dict[str, set[str]]:
    """Section -> the fields this user may see of this person's record (R-4.3); the person sees all of their own."""
    if is_own(user, person):
        return {sec.name: set(sec.fields_by_name) for sec in SECTIONS}
    shown = {}
    keys = {sec.sensitivity_of(item) for sec in SECTIONS for item in sec.fields}
    cleared = authz.visible_fields(user, person.unit_id, keys)
    for sec in SECTIONS:
        names = {item.name for item in sec.fields if sec.sensitivity_of(item) in cleared}
        if names:
            shown[sec.name] = names
    return shown


def restrict(record: dict, shown: dict[str, set[str]]) -> dict:
    """The record with only the fields a user may see."""
    out = {}
    for name, value in record.items():
        if name not in shown:
            continue
        if isinstance(value, list):
            out[name] = [{k: v for k, v in row.items() if k in shown[name]} for row in value]
        else:
            out[name] = {k: v for k, v in value.items() if k in shown[name]}
    return out


class PurposeRequired(PermissionDenied):
    """The configuration asks readers of someone else's sensitive fields why they read them (AUDIT_READ_PURPOSES)."""


def read_purpose(request, person_id: int) -> str:
    """The purpose the reader chose for this record: `purpose` in the query (then remembered for the session), or the one
    chosen before in the session; "" when none of the configured purposes was chosen."""
    if request is None:
        return ""
    session = getattr(request, "session", None)
    chosen = request.GET.get("purpose", "")
    if chosen in settings.AUDIT_READ_PURPOSES:
        if session is not None:
            session["read_purposes"] = {**session.get("read_purposes", {}), str(person_id): chosen}
        return chosen
    found = session.get("read_purposes", {}).get(str(person_id), "") if session is not None else ""
    return found if found in settings.AUDIT_READ_PURPOSES else ""


def read_record(user, person: Person, *, number: int | None = None, on: datetime.date | None = None, request=None):
    """The record (a version, or as of a day) as this user may see it; reads of personal data by others are audited, with
    the purpose the reader chose when the configuration asks for one."""
    require_view(user, person, request)
    if on is not None:
        record, version = record_as_of(person, on)
        number = version.number if version else 0
    else:
        number = person.version if number is None else number
        try:
            record = approved_record(person, number)
        except RecordVersion.DoesNotExist:
            raise ServiceError(_("This record has no version %(n)s.") % {"n": number}, "version") from None
    shown = visible_sections(user, person)
    if not is_own(user, person):
        levels, default = authz.field_levels()
        sensitive = sorted({sec.sensitivity_of(item) for sec in SECTIONS for item in sec.fields
                            if item.name in shown.get(sec.name, ()) and levels.get(sec.sensitivity_of(item), default) >= 2})
        if sensitive:
            details = {"version": number, "fields": sensitive}
            if settings.AUDIT_READ_PURPOSES:
                details["purpose"] = read_purpose(request, person.pk)
                if not details["purpose"]:
                    raise PurposeRequired(_("Choose why you read this record's sensitive fields (purpose: one of %(purposes)s).")
                                          % {"purposes": "; ".join(settings.AUDIT_READ_PURPOSES)})
            audit(user, "people.read_sensitive", obj=person, unit_id=person.unit_id, details=details, request=request)
    return restrict(record, shown), number


# ---- creating a record and changing it ----

def _clean_sections(sections: dict, today: datetime.date) -> dict:
    if not isinstance(sections, dict) or not sections:
        raise ServiceError(_("Send at least one section of the record."), "sections")
    codes = CatalogCodes()
    return {name: clean_section(name, value, today, codes) for name, value in sections.items()}


def _current_position(record: dict, today: datetime.date) -> str:
    held = [row for row in record.get("positions", []) if not row.get("concurrent") and (row.get("until") or "9999") > today.isoformat()]
    return held[-1]["position"] if held else ""


def mirror(person: Person, record: dict, today: datetime.date) -> None:
    """Copy what search and statistics need from the current record into the person's columns."""
    identity, employment = record.get("identity", {}), record.get("employment", {})
    salary, education = record.get("salary", {}), record.get("education", {})
    person.full_name = identity.get("full_name", "")
    person.search_key = search_key(person.full_name)
    person.birth_date = identity.get("birth_date") and datetime.date.fromisoformat(identity["birth_date"])
    person.gender = identity.get("gender", "")
    person.ethnicity = identity.get("ethnicity", "")
    person.category = employment.get("category", "")
    person.rank = salary.get("rank", "")
    person.professional_title = salary.get("professional_title", "")
    person.position = _current_position(record, today)
    person.qualification = education.get("qualification", "")
    person.political_theory = education.get("political_theory", "")
    person.state_management = education.get("state_management", "")
    person.job_position = employment.get("job_position", "")
    person.party_member = bool(record.get("party", {}).get("party_admitted_on"))
    person.completeness = completeness(record)[0]
    if identity.get("citizen_id"):
        person.citizen_id_index = blind_index(identity["citizen_id"])


def _check_citizen_id_free(person_pk, record) -> None:
    number = record.get("identity", {}).get("citizen_id")
    if number and Person.objects.filter(citizen_id_index=blind_index(number)).exclude(pk=person_pk).exists():
        raise ServiceError(_("Identity – Citizen ID number: another record of the province already has this number."), "identity.citizen_id")


def _store_sections(change_set: ChangeSet, sections: dict) -> None:
    change_set.data_key = current_data_key()
    change_set.content, change_set.sealed = _sealed_parts(sections, change_set.data_key)


def create_person(actor, *, unit, sections: dict, request=None) -> tuple[Person, ChangeSet]:
    """An HR officer opens a new record; its first content is a draft change set awaiting approval."""
    action = "people.create"
    if not authz.can(actor, "people.edit", unit.pk):
        _deny(actor, action, unit.pk, request)
    today = timezone.localdate()
    cleaned = _clean_sections(sections, today)
    record = {**empty_record(), **cleaned}
    for path in ("identity.full_name", "identity.birth_date", "identity.citizen_id", "employment.category"):
        sec_name, field_name = path.split(".")
        if field_name not in record[sec_name]:
            item = BY_NAME[sec_name].fields_by_name[field_name]
            refuse(actor, action, _("%(field)s: this field is required.") % {"field": f"{BY_NAME[sec_name].label} – {item.label}"},
                    path, unit.pk, request)
    with refusing(actor, action, unit.pk, request):
        _check_citizen_id_free(None, record)
        person = Person(unit=unit, created_by=actor)
        mirror(person, record, today)
        account = User.objects.filter(kind=User.Kind.PERSONAL, citizen_id_index=person.citizen_id_index, person__isnull=True).first()
        person.account = account
        person.save()
        change_set = ChangeSet(person=person, author=actor, base_version=0)
        _store_sections(change_set, cleaned)
        change_set.save()
        audit(actor, action, obj=person, unit_id=unit.pk, details={"sections": sorted(cleaned)}, request=request)
        refresh_soon([person.pk])  # the account is now due
    return person, change_set


def link_account(person: Person, user) -> None:
    """Tie a personal account to its person (one account per person, R-12.2), matched by the citizen ID's blind index."""
    if person.account_id is None and user.citizen_id_index == person.citizen_id_index:
        person.account = user
        person.save(update_fields=["account"])
        refresh_soon([person.pk])  # the person's check is now due


def edit_sections(actor, person: Person, sections: dict, *, request=None) -> ChangeSet:
    """Put edited sections into the person's open change set (opened if needed); approved data stays untouched.

    A section edited back to its approved value leaves the change set (R-4.5: only changes are entered).
    """
    action = "people.edit"
    if not can_edit(actor, person):
        _deny(actor, action, person.unit_id, request)
    if person.is_closed:
        refuse(actor, action, _("This record is closed (%(status)s) and read-only.") % {"status": person.get_status_display()},
                "status", person.unit_id, request)
    today = timezone.localdate()
    cleaned = _clean_sections(sections, today)
    for name in cleaned:
        if is_own(actor, person) and not BY_NAME[name].editable_by_person:
            refuse(actor, action, _("The section “%(section)s” is kept by your unit.") % {"section": BY_NAME[name].label}, name,
                    person.unit_id, request)
    with refusing(actor, action, person.unit_id, request):
        Person.objects.select_for_update().filter(pk=person.pk).first()
        change_set = open_change_set(person)
        if change_set is not None and change_set.state != ChangeSet.State.DRAFT:
            raise ServiceError(_("Changes are already submitted for approval; withdraw them to edit again."), "change_set")
        if change_set is None:
            change_set = ChangeSet(person=person, author=actor, base_version=person.version)
        approved = approved_record(person, change_set.base_version)
        pending = change_set_sections(change_set) if change_set.pk else {}
        for name, value in cleaned.items():
            if value == approved[name]:
                pending.pop(name, None)
            else:
                pending[name] = value
        # Rules broken by what was just entered are refused now; fields still empty wait for the submission.
        broken = [p for p in check_record({**approved, **pending}, today) if not p.missing and p.field.split(".")[0] in cleaned]
        if broken:
            raise ServiceError(broken[0].message, broken[0].field)
        _store_sections(change_set, pending)
        change_set.save()
        audit(actor, action, obj=change_set, unit_id=person.unit_id, details={"person": person.pk, "sections": sorted(cleaned)},
              request=request)
    return change_set


def _sniff(head: bytes, tail: bytes) -> str | None:
    for content_type, magic in SIGNATURES.items():
        if head.startswith(magic):
            if content_type == "application/pdf" and b"%%EOF" not in tail:
                return None
            return content_type
    return None


def stored_document(upload) -> Document:
    """A scanned document (PDF, JPEG or PNG, checked by content) stored once under its SHA-256; ServiceError names the problem."""
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise ServiceError(document_too_large(), "file")
    if upload.size == 0:
        raise ServiceError(_("File: the document is empty."), "file")
    digest = hashlib.sha256()
    head = b""
    tail = b""
    for chunk in upload.chunks():
        head = head or chunk[:16]
        tail = (tail + chunk)[-1024:]
        digest.update(chunk)
    content_type = _sniff(head, tail)
    if content_type is None:
        raise ServiceError(_("File: only PDF, JPEG and PNG scans are accepted, and this file is none of them whatever its name."), "file")
    sha = digest.hexdigest()
    try:
        with transaction.atomic():
            document = Document.objects.create(sha256=sha, size=upload.size, content_type=content_type)
    except IntegrityError:
        document = Document.objects.get(sha256=sha)
    if not default_storage.exists(document.storage_name):
        upload.seek(0)
        default_storage.save(document.storage_name, ContentFile(upload.read()))
    return document


def attach_document(actor, change_set: ChangeSet, *, section_name: str, upload, label: str = "", request=None) -> Attachment:
    """Attach a scanned proof to a section of a draft change set."""
    action = "people.attach"
    person = change_set.person
    if not can_edit(actor, person):
        _deny(actor, action, person.unit_id, request)
    if section_name not in BY_NAME:
        refuse(actor, action, _("There is no section “%(name)s” in the record.") % {"name": section_name}, "section", person.unit_id,
                request)
    with refusing(actor, action, person.unit_id, request):
        if _locked(change_set).state != ChangeSet.State.DRAFT:
            raise ServiceError(_("Documents can only be added to changes not yet submitted."), "change_set")
        document = stored_document(upload)
        attachment = Attachment.objects.create(change_set=change_set, document=document, section=section_name,
                                               label=nfc(label)[:200] or str(BY_NAME[section_name].label),
                                               file_name=nfc(getattr(upload, "name", ""))[:200], uploaded_by=actor)
        audit(actor, action, obj=change_set, unit_id=person.unit_id, details={"sha256": document.sha256, "section": section_name},
              request=request)
    return attachment


def document_bytes(document: Document) -> bytes:
    with default_storage.open(document.storage_name, "rb") as handle:
        return handle.read()


def can_read_document(user, document: Document) -> bool:
    # A scan proves a change set, or is the decision of a transfer (movements).
    people = Person.objects.filter(Q(change_sets__attachments__document=document) | Q(transfers__document=document)).distinct()
    return any(can_view(user, person) for person in people)


def submit(actor, change_set: ChangeSet, *, note: str = "", request=None) -> ChangeSet:
    """Send a draft for approval: the whole record must pass the rules and every changed section needing proof must have it."""
    action = "people.submit"
    person = change_set.person
    if not can_edit(actor, person):
        _deny(actor, action, person.unit_id, request)
    with refusing(actor, action, person.unit_id, request):
        change_set = _locked(change_set)
        if change_set.state != ChangeSet.State.DRAFT:
            raise ServiceError(_("Only a draft can be submitted."), "change_set")
        sections = change_set_sections(change_set)
        if not sections:
            raise ServiceError(_("There is no change to submit."), "change_set")
        record = {**approved_record(person, change_set.base_version), **sections}
        problems = check_record(record, timezone.localdate())
        if problems:
            raise ServiceError("; ".join(p.message for p in problems[:5]), problems[0].field)
        proved = set(change_set.attachments.values_list("section", flat=True))
        unproved = [BY_NAME[name].label for name in sections if BY_NAME[name].needs_proof and name not in proved]
        if unproved:
            raise ServiceError(_("Attach a scanned proof for: %(sections)s.") % {"sections": ", ".join(map(str, unproved))}, "file")
        _check_citizen_id_free(person.pk, record)
        change_set.state, change_set.submitted_at, change_set.note = ChangeSet.State.SUBMITTED, timezone.now(), nfc(note)
        change_set.save(update_fields=["state", "submitted_at", "note"])
        audit(actor, action, obj=change_set, unit_id=person.unit_id, details={"sections": sorted(sections)}, request=request)
        refresh_soon([person.pk])  # meets the person's check or correction; the month's approval is now due
    return change_set


def make_version(actor, change_set: ChangeSet, *, valid_from: datetime.date | None = None) -> RecordVersion:
    """Turn a submitted change set into the next immutable version of the record.

    Who may approve, and the signature that approval needs (R-3.10), are decided by approvals.services, the only caller
    outside tests; this runs inside its transaction. A change whose sections were approved meanwhile by another is refused.
    """
    today = timezone.localdate()
    person = Person.objects.select_for_update().get(pk=change_set.person_id)
    change_set = _locked(change_set)
    if change_set.state != ChangeSet.State.SUBMITTED:
        raise ServiceError(_("Only submitted changes can be approved."), "change_set")
    sections = change_set_sections(change_set)
    current = approved_record(person)
    if person.version != change_set.base_version:
        base = approved_record(person, change_set.base_version)
        clashing = [BY_NAME[name].label for name in sections if current[name] != base[name]]
        if clashing:
            raise ServiceError(_("Approved in the meantime by another change: %(sections)s. The person must enter them again.")
                               % {"sections": ", ".join(map(str, clashing))}, "change_set")
    record = {**current, **sections}
    _check_citizen_id_free(person.pk, record)
    key = current_data_key()
    clear, sealed = _sealed_parts(record, key)
    version = RecordVersion.objects.create(
        person=person, number=person.version + 1, valid_from=valid_from or today, content=clear, sealed=sealed, data_key=key,
        unit_id=person.unit_id, change_set=change_set, approved_at=timezone.now(), approved_by=actor)
    person.version = version.number
    mirror(person, record, today)
    person.save()
    change_set.state, change_set.decided_at, change_set.decided_by = ChangeSet.State.ACCEPTED, timezone.now(), actor
    change_set.save(update_fields=["state", "decided_at", "decided_by"])
    return version


def version_from_decision(actor, person: Person, *, sections: dict, unit_id: int, valid_from: datetime.date) -> RecordVersion:
    """The next version of a record changed by a decision (a transfer), not by a change set: the approved record with these
    sections, in the unit the decision names. It awaits the receiving unit's signature like any unsigned version.
    Runs inside the caller's transaction, the person locked."""
    record = {**approved_record(person), **sections}
    key = current_data_key()
    clear, sealed = _sealed_parts(record, key)
    version = RecordVersion.objects.create(person=person, number=person.version + 1, valid_from=valid_from, content=clear, sealed=sealed,
                                           data_key=key, unit_id=unit_id, approved_at=timezone.now(), approved_by=actor)
    person.version, person.unit_id = version.number, unit_id
    mirror(person, record, timezone.localdate())
    person.save()
    return version


def withdraw(actor, change_set: ChangeSet, *, request=None) -> ChangeSet:
    action = "people.withdraw"
    person = change_set.person
    if not can_edit(actor, person):
        _deny(actor, action, person.unit_id, request)
    with refusing(actor, action, person.unit_id, request):
        change_set = _locked(change_set)
        if not change_set.is_open:
            raise ServiceError(_("These changes are already decided."), "change_set")
        change_set.state, change_set.decided_at, change_set.decided_by = ChangeSet.State.WITHDRAWN, timezone.now(), actor
        change_set.save(update_fields=["state", "decided_at", "decided_by"])
        audit(actor, action, obj=change_set, unit_id=person.unit_id, details={"person": person.pk}, request=request)
    return change_set


def confirm_checked(actor, person: Person, *, request=None) -> RecordCheck:
    """The person confirms their approved record is right as it stands (R-6.4, R-8.3c); changes go through a change set."""
    action = "people.check"
    if not (is_own(actor, person) and authz.can(actor, "self.edit")):
        _deny(actor, action, person.unit_id, request)
    if person.is_closed:
        refuse(actor, action, _("This record is closed (%(status)s) and read-only.") % {"status": person.get_status_display()}, "status",
                person.unit_id, request)
    if person.version == 0:
        refuse(actor, action, _("The record has no approved version yet: check the draft and submit it."), "change_set", person.unit_id,
                request)
    if open_change_set(person) is not None:
        refuse(actor, action, _("Changes are pending: submit or withdraw them instead."), "change_set", person.unit_id, request)
    check = RecordCheck.objects.create(person=person, version=person.version, checked_by=actor)
    refresh_soon([person.pk])
    audit(actor, action, obj=person, unit_id=person.unit_id, details={"version": person.version}, request=request)
    return check


def set_status(actor, person: Person, *, status: str, effective_on: datetime.date, decision: str = "", note: str = "",
               request=None) -> StatusChange:
    """Record a status from a decision (R-4.1). A closed record becomes read-only and stays in the archive, never deleted;
    its open changes are withdrawn, not lost."""
    action = "people.status"
    if not authz.can(actor, "people.edit", person.unit_id):
        _deny(actor, action, person.unit_id, request)
    if status not in Person.Status.values:
        refuse(actor, action, _("Status: “%(value)s” is not a status.") % {"value": status}, "status", person.unit_id, request)
    if person.status == Person.Status.ARCHIVED:
        refuse(actor, action, _("Status: an archived record keeps its status."), "status", person.unit_id, request)
    if effective_on > timezone.localdate():
        refuse(actor, action, _("Effective on: a status is recorded once it takes effect, not ahead."), "effective_on", person.unit_id,
                request)
    recruited = approved_record(person)["employment"].get("recruited_on")
    if recruited and effective_on.isoformat() < recruited:
        refuse(actor, action, _("Effective on: before the person was recruited (%(day)s).")
                % {"day": datetime.date.fromisoformat(recruited).strftime("%d/%m/%Y")}, "effective_on", person.unit_id, request)
    if status in Person.CLOSED and not nfc(decision):
        refuse(actor, action, _("Decision: name the decision behind this status."), "decision", person.unit_id, request)
    with transaction.atomic():
        change = StatusChange.objects.create(person=person, status=status, effective_on=effective_on, decision=nfc(decision)[:120],
                                             note=nfc(note), changed_by=actor)
        if status in Person.CLOSED:
            person.change_sets.filter(state__in=ChangeSet.OPEN).update(state=ChangeSet.State.WITHDRAWN, decided_at=timezone.now(),
                                                                        decided_by=actor, reason=_("The record was closed."))
            if person.account_id:
                account_after_departure(actor, person.account, status=status, decision=change.decision, request=request,
                                        keep_reading=status == Person.Status.RETIRED and settings.RETIREES_READ_OWN_RECORD)
        person.status = status
        person.save(update_fields=["status"])
        audit(actor, action, obj=person, unit_id=person.unit_id, details={"status": status, "decision": change.decision}, request=request)
    return change


# ---- showing differences ----

@dataclass(frozen=True)
class Change:
    section: str
    row: int | None  # 0-based row of a repeating section
    field: str
    label: str
    old: object
    new: object


def diff(old: dict, new: dict) -> list[Change]:
    """Field-by-field differences between two records (rows of repeating sections compared in order)."""
    changes = []
    for sec in SECTIONS:
        before, after = old.get(sec.name), new.get(sec.name)
        if before == after:
            continue
        if not sec.repeating:
            before, after = before or {}, after or {}
            for item in sec.fields:
                if before.get(item.name) != after.get(item.name):
                    changes.append(Change(sec.name, None, item.name, f"{sec.label} – {item.label}", before.get(item.name), after.get(item.name)))
            continue
        before, after = before or [], after or []
        for index in range(max(len(before), len(after))):
            row_old = before[index] if index < len(before) else {}
            row_new = after[index] if index < len(after) else {}
            for item in sec.fields:
                if row_old.get(item.name) != row_new.get(item.name):
                    label = _("%(section)s, row %(row)s – %(field)s") % {"section": sec.label, "row": index + 1, "field": item.label}
                    changes.append(Change(sec.name, index, item.name, label, row_old.get(item.name), row_new.get(item.name)))
    return changes


class CatalogNames:
    """Shows coded values by their names; every catalog's entries read at the first use, in one query (a few hundred rows:
    one query per catalog was a fifth of a record page's time)."""

    def __init__(self):
        self._names: dict[str, dict[str, str]] | None = None

    def name(self, catalog: str, code: str) -> str:
        if self._names is None:
            self._names = {}
            for catalog_code, entry_code, name in CatalogEntry.objects.values_list("catalog__code", "code", "name"):
                self._names.setdefault(catalog_code, {})[entry_code] = name
        return self._names.get(catalog, {}).get(code, code)

    def display(self, section_name: str, field_name: str, value) -> str:
        if value is None or value == "":
            return ""
        item = BY_NAME[section_name].fields_by_name[field_name]
        if item.kind == "choice":
            return self.name(item.catalog, value)
        if item.kind == "options":
            return str(dict(item.options).get(value, value))
        if item.kind == "date":
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        if item.kind == "bool":
            return _("yes") if value else _("no")
        return str(value)


# ---- search ----

@dataclass
class PeopleQuery:
    text: str = ""
    unit_id: int | None = None  # the unit and its subtree
    category: str = ""
    rank: str = ""
    professional_title: str = ""
    position: str = ""
    gender: str = ""
    age_from: int | None = None
    age_to: int | None = None
    ethnicity: str = ""
    qualification: str = ""
    political_theory: str = ""
    state_management: str = ""
    job_position: str = ""  # part of the job position's name
    party_member: bool | None = None
    status: str = ""


# Filters on sensitive columns need the clearance of the field they read.
FILTER_FIELDS = {"ethnicity": "person.ethnicity", "party_member": "person.party_membership", "rank": "person.rank",
                 "professional_title": "person.professional_title", "qualification": "person.education",
                 "political_theory": "person.education", "state_management": "person.education", "age_from": "person.birth_date",
                 "age_to": "person.birth_date"}


def search_clearance(user) -> int:
    """The clearance a user holds everywhere they may search: the lowest among their grants to view people."""
    levels = [g.role.clearance for g in authz.active_grants(user) if "people.view" in g.role.actions]
    return min(levels, default=-1)


def search_people(user, query: PeopleQuery, *, day: datetime.date | None = None):
    """People the user may see, filtered in the database; raises ServiceError for a filter the user is not cleared for."""
    day = day or timezone.localdate()
    allowed = authz.scope(user, "people.view", day)
    if not allowed:
        raise PermissionDenied(_("You are not allowed to see people's records."))
    people = allowed.filter(Person.objects.all())
    levels, default = authz.field_levels()
    cleared = search_clearance(user)
    for name, key in FILTER_FIELDS.items():
        if getattr(query, name) not in ("", None) and levels.get(key, default) > cleared:
            raise ServiceError(_("You are not cleared to search by this field."), name)
    if query.unit_id is not None:
        people = people.filter(unit_id__in=subtree_ids([query.unit_id], authz.tree_children(user, day)) | {query.unit_id})
    text = nfc(query.text)
    if text.isdigit() and len(text) == 12:
        people = people.filter(citizen_id_index=blind_index(text))
    elif text:
        people = people.filter(search_key__contains=search_key(text))
    for name in ("category", "rank", "professional_title", "position", "gender", "ethnicity", "qualification", "political_theory",
                 "state_management", "status"):
        value = getattr(query, name)
        if value:
            people = people.filter(**{name: value})
    if query.job_position:
        people = people.filter(job_position__icontains=nfc(query.job_position))
    if query.party_member is not None:
        people = people.filter(party_member=query.party_member)
    if query.age_from is not None:
        people = people.filter(birth_date__lte=_years_before(day, query.age_from))
    if query.age_to is not None:
        people = people.filter(birth_date__gt=_years_before(day, query.age_to + 1))
    if text or query.unit_id is not None or not allowed.everything:
        # A selective filter (a name through the trigram index of migration 0002, or units) finds few rows to sort; sorting on
        # an expression stops PostgreSQL from walking the search_key index for ORDER BY ... LIMIT instead, which is only
        # faster when most rows match (measured at 100,000 people: name search p95 4x slower when it walks the index).
        people = people.order_by(Concat("search_key", Value("")), "pk")
    return people


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def unit_name(unit_id: int, day: datetime.date | None = None) -> str:
    return versions_on(day or timezone.localdate()).filter(unit_id=unit_id).values_list("name", flat=True).first() or ""


def person_for_user(user) -> Person | None:
    """The user's own record; a personal account made after the record is linked here, by the citizen ID's blind index (R-12.2)."""
    person = Person.objects.filter(account_id=getattr(user, "pk", None)).first()
    if person is None and getattr(user, "kind", "") == User.Kind.PERSONAL and user.citizen_id_index:
        person = Person.objects.filter(citizen_id_index=user.citizen_id_index, account__isnull=True).first()
        if person is not None:
            link_account(person, user)
    return person


def quality(person: Person, shown: dict[str, set[str]] | None = None, pending: ChangeSet | None | bool = True) -> dict:
    """Completeness score, what is missing, and what breaks the rules in the working record (R-13.5);
    with `shown`, only what concerns the fields a reader may see is listed."""
    record = working_record(person, pending)
    score, missing = completeness(record)
    problems = check_record(record, timezone.localdate())
    if shown is not None:
        def visible(path):
            parts = path.split(".")
            return parts[0] in shown and (len(parts) == 1 or parts[-1] in shown[parts[0]])
        missing = [(path, label) for path, label in missing if visible(path)]
        problems = [problem for problem in problems if visible(problem.field)]
    return {"completeness": score, "missing": missing, "problems": problems}


def load_approved(records: list[tuple[int, dict]], *, approved_by=None, valid_from: datetime.date | None = None,
                  batch_size: int = 1000) -> int:
    """Bulk-load records already approved elsewhere (the demo province, synthetic data, an initial migration):
    (unit id, record) pairs become people with version 1. Records are trusted here; run check_record on input first."""
    today = timezone.localdate()
    key = current_data_key()
    loaded = 0
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size]
        with transaction.atomic():
            people = []
            for unit_id, record in batch:
                person = Person(unit_id=unit_id, version=1, created_by=approved_by)
                mirror(person, record, today)
                people.append(person)
            Person.objects.bulk_create(people)
            now = timezone.now()
            versions = []
            for person, (unit_id, record) in zip(people, batch, strict=True):
                clear, sealed = _sealed_parts(record, key)
                versions.append(RecordVersion(person=person, number=1, valid_from=valid_from or today, content=clear, sealed=sealed,
                                              data_key=key, unit_id=unit_id, approved_at=now, approved_by=approved_by))
            RecordVersion.objects.bulk_create(versions)
        loaded += len(batch)
    return loaded


def open_change_sets(user, *, state: str = "", unit_id: int | None = None):
    """Drafts and submissions in the units the user edits records for, oldest first; a unit narrows them to its subtree."""
    allowed = authz.scope(user, "people.edit")
    if not allowed:
        authz.require(user, "people.edit")
    found = allowed.filter(ChangeSet.objects.filter(state__in=[state] if state else ChangeSet.OPEN), "person__unit_id")
    if unit_id is not None:
        found = found.filter(person__unit_id__in=subtree_ids([unit_id], children_map(timezone.localdate())))
    return found.select_related("person").order_by("created_at", "pk")
