"""Arrivals from outside the receiving unit's authority (R-8.3, R-8.4).

From a ministry, another province, a unit of the province outside the unit's authority, the Party or a mass organization,
or a system that cannot share data: (a) within 10 working days of the handover the receiving unit asks Sở Nội vụ in
writing to bring the record in; Sở Nội vụ decides and brings it in, moving the province's own record when there is one,
otherwise importing the record file it received (the national record format; the exchange with the national database
replaces the file when it exists); (b) the unit creates the person's account, (c) the person checks and updates the record
within 5 working days of receiving it, (d) the head approves it in the monthly round. Each step's deadline is tracked.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import authz
from approvals.models import VersionSignature
from audit.services import record as audit
from audit.services import record_refusal
from common.crypto import blind_index, current_data_key, seal, unseal
from common.errors import ServiceError, document_too_large
from common.text import nfc
from compliance.services import month_end, refresh_soon
from compliance.workdays import add_working_days, working_days_between
from orgs.services import fmt_date, versions_on
from people import services as people
from people.models import ChangeSet, Person
from people.validation import check_citizen_id

from .models import Arrival, Transfer
from .services import apply as apply_transfer

ACTION = "movements.arrival"
REQUEST_DAYS = 10  # working days from the handover to the written request (R-8.3a, R-8.4)
CHECK_DAYS = 5  # working days for the account and for the person's check (R-8.3c, R-6.4)


def _refuse(actor, message: str, field: str, unit_id: int | None, request) -> None:
    record_refusal(actor, ACTION, reason=message, unit_id=unit_id, request=request)
    raise ServiceError(message, field)


def _deny(actor, unit_id: int | None, request) -> None:
    record_refusal(actor, ACTION, reason="out of scope", unit_id=unit_id, request=request)
    raise PermissionDenied(_("You are not allowed to do this for this unit."))


def citizen_id(arrival: Arrival) -> str:
    return unseal(arrival.sealed, arrival.data_key)["citizen_id"]


def can_view(user, arrival: Arrival) -> bool:
    return authz.can(user, "people.view", arrival.to_unit_id) or authz.can(user, "arrivals.decide", arrival.to_unit_id)


def may_see_any(user) -> bool:
    return authz.can(user, "people.view") or authz.can(user, "arrivals.decide")


def visible(user):
    """The arrivals into units the user keeps records of or decides arrivals for."""
    units = authz.scope(user, "people.view").unit_ids | authz.scope(user, "arrivals.decide").unit_ids
    return Arrival.objects.filter(to_unit_id__in=units).select_related("to_unit", "person__account")


def request_arrival(actor, *, to_unit_id: int, origin: str, origin_agency: str, full_name: str, birth_date: datetime.date,
                    citizen_id: str, handover_on: datetime.date, request_number: str, request_date: datetime.date, upload,
                    request=None) -> Arrival:
    """The receiving unit's written request to Sở Nội vụ (R-8.3a, R-8.4). A late request is accepted and shown late."""
    today = timezone.localdate()
    if not authz.can(actor, "people.edit", to_unit_id):
        _deny(actor, to_unit_id, request)
    number = nfc(citizen_id)
    problem = None
    if origin not in Arrival.Origin.values:
        problem = (_("Coming from: choose where the person comes from."), "origin")
    elif not nfc(origin_agency):
        problem = (_("Sending agency: name the agency the person comes from."), "origin_agency")
    elif not nfc(full_name):
        problem = (_("Full name: this field is required."), "full_name")
    elif not datetime.date(today.year - 75, 1, 1) <= birth_date <= datetime.date(today.year - 15, 12, 31):
        problem = (_("Date of birth: a person at work is 15 to 75 years old."), "birth_date")
    elif wrong := check_citizen_id(number, None, None):
        problem = (_("Citizen ID: %(problem)s") % {"problem": wrong}, "citizen_id")
    elif number[4:6] != f"{birth_date.year % 100:02d}":
        problem = (_("Citizen ID: the 5th and 6th digits do not match the year of birth."), "citizen_id")
    elif handover_on > today:
        problem = (_("Handed over on: the record is handed over before the request is made."), "handover_on")
    elif not nfc(request_number):
        problem = (_("Written request number: name the written request."), "request_number")
    elif request_date > today:
        problem = (_("Written request date: a request cannot be dated in the future."), "request_date")
    elif not versions_on(today).filter(unit_id=to_unit_id).exists():
        problem = (_("Receiving unit: the unit no longer exists."), "to_unit")
    if problem:
        _refuse(actor, *problem, to_unit_id, request)
    index = blind_index(number)
    existing = Person.objects.filter(citizen_id_index=index).first()
    if existing is not None and not existing.is_closed:
        if existing.unit_id == to_unit_id:
            _refuse(actor, _("Citizen ID: this person already works in the receiving unit."), "citizen_id", to_unit_id, request)
        if authz.can(actor, "people.edit", existing.unit_id):
            _refuse(actor, _("Citizen ID: this person works in %(unit)s, within your authority: record a transfer instead (R-8.1).")
                    % {"unit": people.unit_name(existing.unit_id)}, "citizen_id", to_unit_id, request)
    key = current_data_key()
    due = add_working_days(handover_on, REQUEST_DAYS)
    try:
        with transaction.atomic():
            arrival = Arrival.objects.create(
                to_unit_id=to_unit_id, origin=origin, origin_agency=nfc(origin_agency)[:300], full_name=nfc(full_name)[:120],
                birth_date=birth_date, citizen_id_index=index, sealed=seal({"citizen_id": number}, key), data_key=key,
                handover_on=handover_on, request_number=nfc(request_number)[:100], request_date=request_date,
                document=people.stored_document(upload), due_on=due, requested_by=actor)
            audit(actor, ACTION, obj=arrival, unit_id=to_unit_id, request=request,
                  details={"origin": origin, "due_on": str(due), "late_working_days": working_days_between(due, today)})
            refresh_soon([], [arrival.pk])
    except IntegrityError:
        _refuse(actor, _("Citizen ID: a request for this person is already open."), "citizen_id", to_unit_id, request)
    except ServiceError as exc:
        record_refusal(actor, ACTION, reason=exc.message, unit_id=to_unit_id, request=request)
        raise
    return arrival


def _locked_open(actor, arrival: Arrival, state: str, request) -> Arrival:
    if not authz.can(actor, "arrivals.decide", arrival.to_unit_id):
        _deny(actor, arrival.to_unit_id, request)
    locked = Arrival.objects.select_for_update().get(pk=arrival.pk)
    if locked.state != state:
        raise ServiceError(_("This request is already %(state)s.") % {"state": locked.get_state_display()}, "state")
    return locked


def decide(actor, arrival: Arrival, *, approve: bool, reason: str = "", request=None) -> Arrival:
    """Sở Nội vụ approves the request, or refuses it with a reason. An approved arrival whose person already has a record in
    the province is brought in at once."""
    try:
        with transaction.atomic():
            arrival = _locked_open(actor, arrival, Arrival.State.REQUESTED, request)
            if not approve and not nfc(reason):
                raise ServiceError(_("Reason: say why the request is refused."), "reason")
            arrival.state = Arrival.State.APPROVED if approve else Arrival.State.REFUSED
            arrival.decided_by, arrival.decided_at, arrival.reason = actor, timezone.now(), nfc(reason)
            arrival.save(update_fields=["state", "decided_by", "decided_at", "reason"])
            audit(actor, "movements.arrival_decide", obj=arrival, unit_id=arrival.to_unit_id, request=request,
                  details={"approved": approve, "reason": arrival.reason})
            if approve and Person.objects.filter(citizen_id_index=arrival.citizen_id_index).exists():
                arrival = _bring_in(actor, arrival, None, None, request)
    except ServiceError as exc:
        record_refusal(actor, "movements.arrival_decide", reason=exc.message, unit_id=arrival.to_unit_id, request=request)
        raise
    return arrival


def bring_in(actor, arrival: Arrival, *, upload=None, record: dict | None = None, request=None) -> Arrival:
    """Bring the approved arrival's record in: the province's own record moves to the receiving unit; otherwise the record
    file (JSON: {"record": {section: ...}}, the sections of people/form.py), or the `record` the national database gave,
    opens a record there, as a draft the person checks and submits."""
    try:
        with transaction.atomic():
            arrival = _locked_open(actor, arrival, Arrival.State.APPROVED, request)
            arrival = _bring_in(actor, arrival, upload, record, request)
    except ServiceError as exc:
        record_refusal(actor, "movements.arrival_bring_in", reason=exc.message, unit_id=arrival.to_unit_id, request=request)
        raise
    return arrival


def _bring_in(actor, arrival: Arrival, upload, record: dict | None, request) -> Arrival:
    person = Person.objects.select_for_update().filter(citizen_id_index=arrival.citizen_id_index).first()
    details = {}
    if person is not None:
        _move_existing(actor, arrival, person)
    else:
        if record is not None:
            sections, details = _own_record(record, citizen_id(arrival)), {"source": "national"}
        elif upload is None:
            raise ServiceError(_("Record file: this person has no record in the province yet; attach the record file received."), "file")
        else:
            sections, digest = _record_file(upload, citizen_id(arrival))
            details = {"file_sha256": digest}
        person, _change_set = people.create_person(actor, unit=arrival.to_unit, sections=sections, request=request)
        details["sections"] = sorted(sections)
    arrival.person, arrival.state = person, Arrival.State.BROUGHT_IN
    arrival.brought_in_by, arrival.brought_in_at = actor, timezone.now()
    arrival.save(update_fields=["person", "state", "brought_in_by", "brought_in_at"])
    audit(actor, "movements.arrival_bring_in", obj=arrival, unit_id=arrival.to_unit_id, request=request,
          details={"person": person.pk, **details})
    refresh_soon([person.pk], [arrival.pk])
    return arrival


def _move_existing(actor, arrival: Arrival, person: Person) -> None:
    """The person's record in the province (a unit outside the receiving unit's authority) moves to the receiving unit from
    the handover, as a transfer backed by the written request; the account's access follows."""
    if person.is_closed:
        raise ServiceError(_("Citizen ID: the person's record in the province is closed (%(status)s).")
                           % {"status": person.get_status_display()}, "citizen_id")
    if person.version == 0:
        raise ServiceError(_("Citizen ID: the person's record in the province has no approved version yet."), "citizen_id")
    if person.transfers.filter(state=Transfer.State.SCHEDULED).exists():
        raise ServiceError(_("Citizen ID: a transfer of this person is already scheduled."), "citizen_id")
    moved = Transfer.objects.create(person=person, from_unit_id=person.unit_id, to_unit_id=arrival.to_unit_id,
                                    decision_number=arrival.request_number, decision_date=arrival.request_date,
                                    effective_on=max(arrival.handover_on, person.versions.get(number=person.version).valid_from),
                                    document=arrival.document, created_by=actor)
    apply_transfer(moved, actor)


def _record_file(upload, expected_citizen_id: str) -> tuple[dict, str]:
    """The sections of a record file, and the file's SHA-256; a file of another person is refused."""
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise ServiceError(document_too_large(), "file")
    raw = upload.read()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServiceError(_("Record file: not a JSON record (%(error)s).") % {"error": exc}, "file") from exc
    sections = data.get("record") if isinstance(data, dict) else None
    if not isinstance(sections, dict) or not sections:
        raise ServiceError(_("Record file: expected an object with the record's sections under “record”."), "file")
    return _own_record(sections, expected_citizen_id), hashlib.sha256(raw).hexdigest()


def _own_record(sections: dict, expected_citizen_id: str) -> dict:
    """The sections, refused when they are another person's record."""
    identity = sections.get("identity")
    if not isinstance(identity, dict) or nfc(str(identity.get("citizen_id", ""))) != expected_citizen_id:
        raise ServiceError(_("Record file: it is the record of another person (the citizen ID differs from the request's)."), "file")
    return sections


@dataclass(frozen=True)
class Step:
    """One obligation of an arrival, with its legal deadline."""

    label: str
    rule: str
    due: datetime.date | None
    done: datetime.date | None

    def state(self, today: datetime.date) -> str:
        if self.done is not None:
            return "late" if self.due is not None and self.done > self.due else "done"
        return "overdue" if self.due is not None and today > self.due else "waiting"


STEP_LABELS = {
    "request": gettext_lazy("Written request to Sở Nội vụ"),
    "decision": gettext_lazy("Sở Nội vụ decides"),
    "brought_in": gettext_lazy("Record brought in"),
    "account": gettext_lazy("Personal account created by the unit"),
    "check": gettext_lazy("The person checks and updates the record"),
    "approval": gettext_lazy("The head approves it in the monthly round"),
}


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def steps(arrival: Arrival) -> list[Step]:
    """The arrival's obligations in order (R-8.3 a-d): each due date follows from the step before it."""
    return steps_of([arrival])[arrival.pk]


def _firsts(rows) -> dict[int, list[datetime.datetime]]:
    found: dict[int, list[datetime.datetime]] = {}
    for person_id, moment in rows:
        found.setdefault(person_id, []).append(moment)
    return found


def steps_of(arrivals: list[Arrival]) -> dict[int, list[Step]]:
    """The steps of many arrivals (a list page) with two queries for all of them."""
    brought = [a for a in arrivals if a.person_id and a.brought_in_at]
    people = [a.person_id for a in brought]
    submitted = _firsts(ChangeSet.objects.filter(person_id__in=people, submitted_at__isnull=False).values_list("person_id", "submitted_at"))
    signed = _firsts(VersionSignature.objects.filter(version__person_id__in=people).values_list("version__person_id", "signed_at"))
    return {arrival.pk: _steps(arrival, submitted.get(arrival.person_id, []), signed.get(arrival.person_id, [])) for arrival in arrivals}


def _steps(arrival: Arrival, submissions: list, signatures: list) -> list[Step]:
    brought = _local_day(arrival.brought_in_at)
    result = [Step(STEP_LABELS["request"], "R-8.3a", arrival.due_on, _local_day(arrival.requested_at)),
              Step(STEP_LABELS["decision"], "R-8.3", None, _local_day(arrival.decided_at)),
              Step(STEP_LABELS["brought_in"], "R-8.3", None, brought)]
    person = arrival.person
    account_day = checked = signed = None
    if person is not None and brought is not None:
        if person.account_id:
            account_day = max(brought, _local_day(person.account.date_joined))
        since = arrival.brought_in_at
        first_signature = min((moment for moment in signatures if moment >= since), default=None)
        first_submission = min((moment for moment in submissions if moment >= since), default=None)
        checked = _local_day(min(filter(None, [first_submission, first_signature]), default=None))
        signed = _local_day(first_signature)
    result.append(Step(STEP_LABELS["account"], "R-8.3b", add_working_days(brought, CHECK_DAYS) if brought else None, account_day))
    result.append(Step(STEP_LABELS["check"], "R-8.3c", add_working_days(account_day, CHECK_DAYS) if account_day else None, checked))
    result.append(Step(STEP_LABELS["approval"], "R-8.3d", month_end(checked) if checked else None, signed))
    return result


def describe_due(step: Step, today: datetime.date) -> str:
    """The deadline as people read it: by when, and how many working days late."""
    if step.due is None:
        return ""
    late = working_days_between(step.due, step.done or today)
    text = _("by %(day)s") % {"day": fmt_date(step.due)}
    return text + (" · " + _("%(count)s working days late") % {"count": late} if late else "")
