"""The regulation's deadlines as obligations, recomputed from the data; the calendar's overrides; who must act.

`refresh` derives every obligation from what the records, accounts and approvals say, so it is idempotent: run nightly by
the worker, after the actions that trigger obligations, and on demand, it creates what is new, marks what was met, drops
what no longer applies and moves the due dates a calendar override changed.
"""

import calendar as month_calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from approvals.models import Rejection, VersionSignature
from audit.services import record as audit
from audit.services import record_refusal, require_allowed
from common.errors import ServiceError
from common.text import nfc
from inspections.models import Inspection
from movements.models import Arrival
from orgs.services import fmt_date, subtree_unit_ids, unit_by_code
from people.models import ChangeSet, Person, RecordCheck

from .dashboards import take_snapshot
from .models import CalendarOverride, Finding, Obligation
from .reminders import Holders
from .workdays import around, working_by_law

Kind = Obligation.Kind
WORKING_DAYS = {Kind.ACCOUNT: 5, Kind.FIRST_ENTRY: 5, Kind.CORRECTION: 5, Kind.ARRIVAL_REQUEST: 10}
FIELDS = ("kind", "unit_id", "person_id", "owner_id", "start_on", "working_days", "due_on", "met_on", "dropped_on")
BATCH = 2000


@dataclass
class Wanted:
    """An obligation as the data says it should be now."""

    kind: str
    unit_id: int
    start_on: datetime.date
    due_on: datetime.date
    person_id: int | None = None
    owner_id: int | None = None
    met_on: datetime.date | None = None
    working_days: int | None = None
    dropped_on: datetime.date | None = None


def _day(moment) -> datetime.date | None:
    return moment.astimezone(timezone.get_current_timezone()).date() if moment else None


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=month_calendar.monthrange(day.year, day.month)[1])


def _batches(ids: list[int]):
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def _counted(kind: str, unit_id: int, start: datetime.date, calendar, **fields) -> Wanted:
    """An obligation due a number of working days after its trigger."""
    days = WORKING_DAYS[kind]
    return Wanted(kind, unit_id, start, calendar.add(start, days), working_days=days, **fields)


def _people_obligations(people, calendar) -> dict[str, Wanted]:
    """R-6.3: the unit creates the person's account within 5 working days of opening the record. R-6.4: the person checks
    and completes the record within 5 working days of receiving the account, by submitting changes or confirming it."""
    rows = list(people.exclude(status__in=Person.CLOSED).values_list("pk", "unit_id", "created_at", "account_id", "account__date_joined"))
    acted: dict[int, datetime.datetime] = {}
    submitted = (ChangeSet.objects.filter(person__in=people, submitted_at__isnull=False, author_id=F("person__account_id"))
                 .values("person_id").annotate(first=Min("submitted_at")).values_list("person_id", "first"))
    checked = RecordCheck.objects.filter(person__in=people).values("person_id").annotate(first=Min("checked_at")).values_list("person_id", "first")
    for person_id, first in [*submitted, *checked]:
        acted[person_id] = min(first, acted.get(person_id, first))
    wanted = {}
    for pk, unit_id, created_at, account_id, joined in rows:
        opened = _day(created_at)
        received = max(opened, _day(joined)) if account_id else None
        wanted[f"account:{pk}"] = _counted(Kind.ACCOUNT, unit_id, opened, calendar, person_id=pk, met_on=received)
        if account_id:
            done = _day(acted.get(pk))
            wanted[f"first_entry:{pk}"] = _counted(Kind.FIRST_ENTRY, unit_id, received, calendar, person_id=pk, owner_id=account_id,
                                                   met_on=max(done, received) if done else None)
    return wanted


def _correction_obligations(people, calendar) -> dict[str, Wanted]:
    """R-6.5, R-7.2: changes sent back are corrected and submitted again within 5 working days, by whoever entered them."""
    wanted = {}
    rejections = (Rejection.objects.filter(change_set__person__in=people)
                  .values_list("pk", "rejected_at", "change_set__person_id", "change_set__person__unit_id", "change_set__author_id",
                               "change_set__state", "change_set__submitted_at", "change_set__decided_at"))
    for pk, rejected_at, person_id, unit_id, author_id, state, submitted_at, decided_at in rejections:
        start = _day(rejected_at)
        resubmitted = _day(submitted_at) if submitted_at and submitted_at > rejected_at else None
        dropped = _day(decided_at) if state == ChangeSet.State.WITHDRAWN and not resubmitted else None
        wanted[f"correction:{pk}"] = _counted(Kind.CORRECTION, unit_id, start, calendar, person_id=person_id, owner_id=author_id,
                                              met_on=resubmitted, dropped_on=dropped)
    return wanted


def pending_approval_counts(people) -> dict[int, int]:
    """Per unit: records waiting for the head's signature (submitted changes, and working records whose current version was
    never signed), the work of the monthly round (R-7.1)."""
    counts: dict[int, int] = {}
    submitted = ChangeSet.objects.filter(person__in=people, state=ChangeSet.State.SUBMITTED).values("person__unit_id").annotate(n=Count("pk"))
    for row in submitted:
        counts[row["person__unit_id"]] = counts.get(row["person__unit_id"], 0) + row["n"]
    signed = VersionSignature.objects.filter(version__person=OuterRef("pk"), version__number=OuterRef("version"))
    waiting = ChangeSet.objects.filter(person=OuterRef("pk"), state=ChangeSet.State.SUBMITTED)
    unsigned = (people.filter(version__gte=1).exclude(status__in=Person.CLOSED).exclude(Exists(signed)).exclude(Exists(waiting))
                .values("unit_id").annotate(n=Count("pk")))
    for row in unsigned:
        counts[row["unit_id"]] = counts.get(row["unit_id"], 0) + row["n"]
    return counts


def _approval_obligations(people, today: datetime.date, unit_ids: set[int] | None) -> dict[str, Wanted]:
    """R-7.1: a unit with records waiting is approved by its head or delegate in the last days of the month; the month's
    obligation is met once nothing waits."""
    end = month_end(today)
    window_start = end - datetime.timedelta(days=settings.APPROVAL_WINDOW_DAYS - 1)
    pending = pending_approval_counts(people)
    wanted = {f"approval:{unit_id}:{end:%Y-%m}": Wanted(Kind.APPROVAL, unit_id, window_start, end) for unit_id in pending}
    earlier = Obligation.objects.filter(kind=Kind.APPROVAL, met_on__isnull=True, dropped_on__isnull=True)
    if unit_ids is not None:
        earlier = earlier.filter(unit_id__in=unit_ids)
    for existing in earlier.exclude(key__in=list(wanted)):
        if existing.unit_id not in pending:
            wanted[existing.key] = Wanted(Kind.APPROVAL, existing.unit_id, existing.start_on, existing.due_on, met_on=today)
    return wanted


def _arrival_obligations(arrivals) -> dict[str, Wanted]:
    """R-8.3a, R-8.4: the receiving unit's written request within 10 working days of the handover (recorded with it)."""
    return {f"arrival_request:{arrival.pk}": Wanted(Kind.ARRIVAL_REQUEST, arrival.to_unit_id, arrival.handover_on, arrival.due_on,
                                                    met_on=_day(arrival.requested_at), working_days=WORKING_DAYS[Kind.ARRIVAL_REQUEST])
            for arrival in arrivals.only("pk", "to_unit_id", "handover_on", "due_on", "requested_at")}


def _inspection_obligations(inspections) -> dict[str, Wanted]:
    """R-14.4, R-16.5: the inspected unit answers by the day set when the inspection was recorded; closed unanswered, it no
    longer can."""
    wanted = {}
    for pk, unit_id, created_at, due, answered_at, closed_at in inspections.values_list(
            "pk", "unit_id", "created_at", "answer_due_on", "answered_at", "closed_at"):
        wanted[f"inspection_answer:{pk}"] = Wanted(Kind.INSPECTION_ANSWER, unit_id, _day(created_at), due, met_on=_day(answered_at),
                                                   dropped_on=_day(closed_at) if closed_at and not answered_at else None)
    return wanted


@transaction.atomic
def refresh(today: datetime.date | None = None, person_ids: list[int] | None = None, arrival_ids: list[int] | None = None) -> dict[str, int]:
    """Recompute the obligations (of these people, their units and these arrivals, or of everyone) from the data; returns
    how many were created, updated and dropped."""
    today = today or timezone.localdate()
    if arrival_ids is not None and person_ids is None:
        person_ids = []
    people = Person.objects.all() if person_ids is None else Person.objects.filter(pk__in=person_ids)
    unit_ids = None if person_ids is None else set(people.values_list("unit_id", flat=True))
    first = people.order_by("created_at").values_list("created_at", flat=True).first()
    calendar = around(min(_day(first) or today, today - datetime.timedelta(days=400)), today)
    wanted = {**_people_obligations(people, calendar), **_correction_obligations(people, calendar),
              **_approval_obligations(people if unit_ids is None else Person.objects.filter(unit_id__in=unit_ids), today, unit_ids)}
    arrivals = Arrival.objects.all() if person_ids is None else Arrival.objects.filter(Q(person_id__in=person_ids) | Q(pk__in=arrival_ids or []))
    wanted.update(_arrival_obligations(arrivals))
    if person_ids is None:
        from .annual import report_obligations  # the annual reports build on these services

        wanted.update(report_obligations(today))
        wanted.update(_inspection_obligations(Inspection.objects.all()))
    return _store(wanted, people, today, everyone=person_ids is None)


def _store(wanted: dict[str, Wanted], people, today: datetime.date, everyone: bool) -> dict[str, int]:
    """Create what is new and update what changed, in bulk; an obligation is found again by its key."""
    keys = list(wanted)
    existing = {}
    if everyone:  # one pass over the table beats tens of thousands of keys looked up
        existing = {o.key: o for o in Obligation.objects.only("key", *(name.removesuffix("_id") for name in FIELDS)).iterator(chunk_size=5000)}
    for start in range(0, 0 if everyone else len(keys), BATCH):
        existing.update({o.key: o for o in Obligation.objects.filter(key__in=keys[start:start + BATCH])})
    created, changed = [], []
    for key, want in wanted.items():
        values = {name: getattr(want, name) for name in FIELDS}
        found = existing.get(key)
        if found is None:
            created.append(Obligation(key=key, **values))
        elif any(getattr(found, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(found, name, value)
            changed.append(found)
    Obligation.objects.bulk_create(created, batch_size=1000)
    Obligation.objects.bulk_update(changed, FIELDS, batch_size=1000)
    # A person who left no longer owes what was still open, nor does their unit for them.
    left = people.filter(status__in=Person.CLOSED).values_list("pk", flat=True)
    if not everyone:  # the few who left, as a list: nested in the UPDATE, thousands of ids planned into minutes at 100,000 people
        left = list(left)
    dropped = (Obligation.objects.filter(person_id__in=left, kind__in=[Kind.ACCOUNT, Kind.FIRST_ENTRY], met_on__isnull=True,
                                         dropped_on__isnull=True).update(dropped_on=today))
    return {"created": len(created), "updated": len(changed), "dropped": dropped}


def store_obligations(wanted: dict[str, Wanted], today: datetime.date | None = None) -> dict[str, int]:
    """Store obligations computed outside `refresh` (the annual reports'), found again by their keys."""
    return _store(wanted, Person.objects.none(), today or timezone.localdate(), everyone=False)


def refresh_inspection_soon(inspection_id: int) -> None:
    """The answer an inspection asks for, recomputed once the current transaction commits."""
    transaction.on_commit(lambda: store_obligations(_inspection_obligations(Inspection.objects.filter(pk=inspection_id))))


def refresh_soon(person_ids: list[int], arrival_ids: list[int] | None = None) -> None:
    """Recompute these people's (and arrivals') obligations once the current transaction commits: the action that just
    happened triggers or meets one."""
    transaction.on_commit(lambda: refresh(person_ids=person_ids, arrival_ids=arrival_ids))


# ---- the calendar's overrides ----

def require_manager(actor, action: str, request=None) -> None:
    """Sở Nội vụ keeps the calendar and runs the recomputations on demand; anyone else is refused, and it is audited."""
    require_allowed(actor, "compliance.manage", action, _("Only Sở Nội vụ keeps the working-day calendar and recomputes the obligations."), request)


def recompute(actor, *, request=None) -> dict[str, int]:
    """On demand: the obligations and the dashboards' counts, as the nightly run does them."""
    require_manager(actor, "compliance.refresh", request)
    counts = refresh()
    counts["units"] = take_snapshot()
    audit(actor, "compliance.refresh", request=request, details=counts)
    return counts


def check_quality(actor, *, request=None) -> dict[str, int]:
    """On demand: the data-quality checks, as the nightly run does them."""
    from .quality import run_checks  # retirement dates live in people's services, which call this module

    require_manager(actor, "compliance.checks", request)
    counts = run_checks()
    audit(actor, "compliance.checks", request=request, details=counts)
    return counts


def _running_over(day: datetime.date):
    """Obligations counted in working days whose deadline runs over a day: a change of that day moves their due date."""
    return Obligation.objects.filter(working_days__isnull=False, start_on__lt=day, due_on__gte=day)


def set_override(actor, *, day: datetime.date, working: bool, reason: str, request=None) -> CalendarOverride:
    """Sở Nội vụ enters an announced day swap or extra day off. A day already past on which a deadline was running cannot
    change: that deadline has already been judged."""
    action = "compliance.calendar"
    require_manager(actor, action, request)
    problem = None
    today = timezone.localdate()
    if not nfc(reason):
        problem = (_("Reason: name the government's announcement."), "reason")
    elif not today.replace(year=today.year - 1, day=1) <= day <= today.replace(year=today.year + 2, day=1):
        problem = (_("Day: an override is for a day announced from last year to two years ahead."), "day")
    elif working == working_by_law(day) and not CalendarOverride.objects.filter(day=day).exists():
        problem = ((_("Day: %(day)s is already a working day.") if working else _("Day: %(day)s is already a day off."))
                   % {"day": fmt_date(day)}, "working")
    elif day < today and _running_over(day).exists():
        problem = (_("Day: %(day)s is past and deadlines were running over it; their due dates are already judged.")
                   % {"day": fmt_date(day)}, "day")
    if problem:
        record_refusal(actor, action, reason=problem[0], request=request)
        raise ServiceError(*problem)
    with transaction.atomic():
        override, _created = CalendarOverride.objects.update_or_create(day=day, defaults={
            "working": working, "reason": nfc(reason)[:300], "created_by": actor})
        moved = redate(day)
        audit(actor, action, obj=override, request=request, details={"day": str(day), "working": working, "redated": moved})
    return override


def remove_override(actor, override: CalendarOverride, *, request=None) -> None:
    action = "compliance.calendar"
    require_manager(actor, action, request)
    if override.day < timezone.localdate():
        raise ServiceError(_("Day: %(day)s is past; its override stays.") % {"day": fmt_date(override.day)}, "day")
    with transaction.atomic():
        day = override.day
        override.delete()
        audit(actor, action, request=request, details={"day": str(day), "removed": True, "redated": redate(day)})


def redate(day: datetime.date) -> int:
    """Count again the due dates of the open obligations whose deadline runs over a day the calendar changed."""
    running = list(_running_over(day).filter(met_on__isnull=True, dropped_on__isnull=True))
    if not running:
        return 0
    calendar = around(min(o.start_on for o in running), day)
    for obligation in running:
        obligation.due_on = calendar.add(obligation.start_on, obligation.working_days)
    return Obligation.objects.bulk_update(running, ["due_on"], batch_size=1000)


# ---- who must act, who sees ----

def require_viewer(user) -> None:
    """Obligations and findings are read by those who read the records of their units."""
    if not authz.can(user, "people.view"):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))


def _in_subtree(queryset, unit: str):
    return queryset.filter(unit_id__in=subtree_unit_ids(unit_by_code(unit).pk, timezone.localdate())) if unit else queryset


def scoped_obligations(user, unit: str = "", kind: str = ""):
    """Obligations of the units in the user's scope (the unit and every body above it see them), narrowed to a unit
    subtree (by identifier code) and a kind."""
    require_viewer(user)
    found = authz.scope(user, "people.view").filter(Obligation.objects.select_related("unit", "person"))
    found = _in_subtree(found, unit)
    return found.filter(kind=kind) if kind else found


def my_tasks(user):
    """What the user must do: their own obligations, the unit's where they keep its records, the head's where they
    approve; a unit with no officer of its own is kept by the nearest body above (as its reminders go)."""
    holders = Holders(timezone.localdate())
    keeps = [unit for unit in authz.scope(user, "people.edit").unit_ids if user.pk in holders.of("people.edit", unit)]
    approves = [unit for unit in authz.scope(user, "records.approve").unit_ids if user.pk in holders.of("records.approve", unit)]
    unit_kinds = [kind for kind, owner in Obligation.OWNER.items() if owner == "unit"]
    return (Obligation.objects.filter(met_on__isnull=True, dropped_on__isnull=True)
            .filter(Q(owner=user) | Q(unit_id__in=keeps, kind__in=unit_kinds) | Q(unit_id__in=approves, kind=Kind.APPROVAL))
            .select_related("person", "unit").order_by("due_on", "pk"))


def _state_conditions(today: datetime.date) -> dict[str, Q]:
    live = Q(met_on__isnull=True, dropped_on__isnull=True)
    return {"open": live & Q(due_on__gte=today), "overdue": live & Q(due_on__lt=today),
            "done": Q(met_on__lte=F("due_on"), dropped_on__isnull=True), "late": Q(met_on__gt=F("due_on"), dropped_on__isnull=True),
            "dropped": Q(dropped_on__isnull=False)}


def filter_state(obligations, state: str, today: datetime.date):
    """Obligations in a state: open (not yet due), overdue, done (met in time), late (met after the due date), dropped."""
    condition = _state_conditions(today).get(state)
    return obligations if condition is None else obligations.filter(condition)


def summary(obligations, today: datetime.date) -> list[dict]:
    """Per kind of obligation, in one query: how many are open, overdue, met in time, met late."""
    states = {name: Count("pk", filter=condition) for name, condition in _state_conditions(today).items() if name != "dropped"}
    counted = {row["kind"]: row for row in obligations.order_by().values("kind").annotate(**states)}
    return [{"kind": kind, "label": label, "rule": Obligation.RULE[kind], **{name: counted[kind][name] for name in states}}
            for kind, label in Kind.choices if kind in counted]


def filtered_findings(user, unit: str, rule: str, state: str):
    """The findings of the units in the user's scope, narrowed to a unit subtree, a check and open or resolved ones."""
    require_viewer(user)
    found = _in_subtree(authz.scope(user, "people.view").filter(Finding.objects.select_related("unit", "person")), unit)
    if rule:
        found = found.filter(rule=rule)
    return {"open": found.filter(resolved_on__isnull=True), "resolved": found.filter(resolved_on__isnull=False)}.get(state, found)
