"""Each person sees and uses their own data (R-9.4; Quy chế Art. 9.4): their whole record to download, and who accessed it.

The access history is read from the audit log: the reads, prints and exports of this person's record, scanned proofs and
inspections naming them. Accesses the law keeps confidential (inspections, audits) are left out, by action code and by the
role the reader held at the time (settings ACCESS_HISTORY_HIDDEN_ACTIONS and ACCESS_HISTORY_HIDDEN_ROLES).
"""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import RoleGrant
from audit.models import AuditEvent
from audit.services import record as audit
from audit.services import record_refusal
from orgs.services import versions_on

from . import services
from .models import Document, Person
from .printing import resume_pdf

EXPORT = "people.self_export"
# The audited accesses a person is shown, in plain words. Reads of non-sensitive fields are not audited, so not listed.
ACTION_LABELS = {
    "people.read_sensitive": gettext_lazy("Read the sensitive fields of your record"),
    "people.print": gettext_lazy("Printed your résumé"),
    "people.read_document": gettext_lazy("Opened a scanned proof of your record"),
    EXPORT: gettext_lazy("Downloaded your whole record"),
    "inspections.read": gettext_lazy("Read an inspection concerning you"),
}
PERSON_ACTIONS = ("people.read_sensitive", "people.print", EXPORT)  # audited with the person as their object


def require_own(user, person: Person, action: str, request=None) -> None:
    """Only the person, through an account still allowed to read its own record (self.view)."""
    if not (services.is_own(user, person) and services.can_view(user, person)):
        record_refusal(user, action, reason="not the person's own record", unit_id=person.unit_id, request=request)
        raise PermissionDenied(_("You are not allowed to do this for this record."))


def _unit(unit_id: int) -> dict:
    name, code = versions_on(timezone.localdate()).filter(unit_id=unit_id).values_list("name", "code").first() or ("", "")
    return {"name": name, "code": code}


def _time(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def record_document(user, person: Person, *, request=None) -> dict:
    """The whole approved record as stored, with what identifies the version; pending changes apart, marked as not approved."""
    require_own(user, person, EXPORT, request)
    record, number = services.read_record(user, person, request=request)
    version = person.versions.filter(number=number).first()
    pending = services.open_change_set(person)
    return {
        "person_id": person.pk,
        "version": number,
        "valid_from": version.valid_from.isoformat() if version else None,
        "approved_at": _time(version.approved_at) if version else None,
        "unit": _unit(person.unit_id),
        "exported_at": _time(timezone.now()),
        "sections": record,
        "pending": {"approved": False, "state": pending.state, "base_version": pending.base_version,
                    "created_at": _time(pending.created_at), "submitted_at": _time(pending.submitted_at),
                    "sections": services.change_set_sections(pending)} if pending else None,
    }


def export_json(user, person: Person, *, request=None) -> bytes:
    document = record_document(user, person, request=request)
    audit(user, EXPORT, obj=person, unit_id=person.unit_id, details={"format": "json", "version": document["version"]}, request=request)
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_pdf(user, person: Person, *, request=None) -> tuple[bytes, int]:
    """The résumé with every section, since it is the reader's own; and the version printed."""
    require_own(user, person, EXPORT, request)
    record, number = services.read_record(user, person, request=request)
    pdf = resume_pdf(record, services.CatalogNames(), unit_name=_unit(person.unit_id)["name"], version=number,
                     printed_on=timezone.localdate())
    audit(user, EXPORT, obj=person, unit_id=person.unit_id, details={"format": "pdf", "version": number}, request=request)
    return pdf, number


# ---- who accessed the record ----

@dataclass(frozen=True)
class Access:
    at: datetime.datetime
    action: str
    label: str
    by_you: bool
    actor_name: str
    roles: list[str]  # "role – unit" for each grant the reader held then


def _hidden_actions() -> Q:
    """Codes ending in * hide every action starting with what precedes it."""
    hidden = Q()
    for code in settings.ACCESS_HISTORY_HIDDEN_ACTIONS:
        hidden |= Q(action__startswith=code[:-1]) if code.endswith("*") else Q(action=code)
    return hidden


def _events(user, person: Person):
    documents = {str(pk) for pk in Document.objects.filter(attachments__change_set__person=person).values_list("pk", flat=True)}
    documents |= {str(pk) for pk in person.transfers.values_list("document_id", flat=True)}
    found = AuditEvent.objects.filter(
        Q(object_type=Person._meta.label_lower, object_id=str(person.pk), action__in=PERSON_ACTIONS)
        | Q(object_type=Document._meta.label_lower, object_id__in=documents, action="people.read_document")
        | Q(action="inspections.read", details__person_id=person.pk),
        outcome="ok",
    ).exclude(_hidden_actions())
    if settings.ACCESS_HISTORY_HIDDEN_ROLES:
        # The role held when reading decides: an HR officer who later becomes an inspector keeps their earlier reads shown.
        held = RoleGrant.objects.filter(user_id=OuterRef("actor_id"), role__code__in=settings.ACCESS_HISTORY_HIDDEN_ROLES,
                                        valid_from__lte=OuterRef("day")).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("day")), Q(revoked_at__isnull=True) | Q(revoked_at__gt=OuterRef("at")))
        found = found.annotate(day=TruncDate("at")).exclude(Q(Exists(held)) & ~Q(actor_id=user.pk))
    return found.select_related("actor").order_by("-at", "-pk")


class AccessHistory:
    """Newest first. Counts and slices like a queryset, so a page (Paginator) or the API's pagination describes only its rows."""

    def __init__(self, user, person: Person):
        self.user, self.events = user, _events(user, person)

    def count(self) -> int:
        return self.events.count()

    __len__ = count

    def __getitem__(self, index: slice) -> list[Access]:
        rows = list(self.events[index])
        actors = {event.actor_id for event in rows if event.actor_id and event.actor_id != self.user.pk}
        grants = list(RoleGrant.objects.filter(user_id__in=actors).select_related("role"))
        units = dict(versions_on(timezone.localdate()).filter(unit_id__in={g.unit_id for g in grants}).values_list("unit_id", "name"))
        return [self._access(event, grants, units) for event in rows]

    def _access(self, event: AuditEvent, grants: list[RoleGrant], units: dict[int, str]) -> Access:
        label = str(ACTION_LABELS[event.action])
        if event.details.get("format"):
            label = f"{label} ({str(event.details['format']).upper()})"
        if event.details.get("purpose"):
            label = f"{label}: {event.details['purpose']}"
        if event.actor_id == self.user.pk:
            return Access(event.at, event.action, label, True, _("You"), [])
        day = timezone.localdate(event.at)
        held = [f"{g.role.name} – {units.get(g.unit_id, '')}" for g in grants if g.user_id == event.actor_id
                and g.valid_from <= day and (g.valid_to is None or day < g.valid_to) and (g.revoked_at is None or g.revoked_at > event.at)]
        actor = event.actor
        return Access(event.at, event.action, label, False, (actor.get_full_name() or actor.username) if actor else _("the system"), held)


def access_history(user, person: Person, *, request=None) -> AccessHistory:
    require_own(user, person, "people.access_history", request)
    return AccessHistory(user, person)
