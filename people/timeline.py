"""A person's timeline (R-4.1): units, positions, salary and status over the years, each with the decision behind it."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from orgs.models import UnitSuccession, UnitVersion

from . import services
from .models import Person


@dataclass(frozen=True)
class Event:
    day: datetime.date
    kind: str  # recruitment, unit, position, salary, status
    text: str
    decision: str = ""


def _day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _unit_name(unit_id: int, day: datetime.date, history: dict[int, list]) -> str:
    """The unit's name on the day; for a day before the tree was recorded, its first known name."""
    versions = sorted(history.get(unit_id, ()))
    return next((name for start, end, name in versions if start <= day and (end is None or day < end)), versions[0][2] if versions else "")


def timeline(user, person: Person, *, request=None) -> list[Event]:
    """Newest first. Built from the approved record as the user may see it (salary only with its clearance; the read is
    audited like any other), the versions' units, and the status changes."""
    record, _number = services.read_record(user, person, request=request)
    names = services.CatalogNames()
    events = []
    employment = record.get("employment") or {}
    if recruited := _day(employment.get("recruited_on")):
        events.append(Event(recruited, "recruitment", _("Recruited by %(agency)s") % {"agency": employment.get("recruiting_agency") or "…"}))
    for row in record.get("positions") or []:
        title = names.display("positions", "position", row.get("position")) or "…"
        where = row.get("unit_name") or ""
        if appointed := _day(row.get("appointed_on")):
            events.append(Event(appointed, "position", _("Appointed %(position)s %(unit)s") % {"position": title, "unit": where},
                                row.get("decision") or ""))
        if until := _day(row.get("until")):
            events.append(Event(until, "position", _("Left the position %(position)s %(unit)s") % {"position": title, "unit": where}))
    for row in record.get("salary_history") or []:
        if start := _day(row.get("from_date")):
            events.append(Event(start, "salary", _("Salary: rank %(rank)s, step %(step)s, coefficient %(coefficient)s")
                                % {"rank": row.get("rank_code") or "…", "step": row.get("step") or "…", "coefficient": row.get("coefficient") or "…"},
                                row.get("decision") or ""))
    history: dict[int, list] = {}
    # A version in a new unit comes from a transfer's decision or from a reorganization's (the units' succession).
    versions = list(person.versions.order_by("number").values_list("valid_from", "unit_id", "transfer__decision_number"))
    units = {unit for _day, unit, _decision in versions}
    for start, end, unit_id, name in UnitVersion.objects.filter(unit_id__in=units).values_list("valid_from", "valid_to", "unit_id", "name"):
        history.setdefault(unit_id, []).append((start, end, name))
    links = UnitSuccession.objects.filter(predecessor_id__in=units, successor_id__in=units).select_related("step__plan")
    reorganized = {(link.predecessor_id, link.successor_id): link.step.plan.decision_number for link in links}
    previous = None
    for valid_from, unit_id, decision in versions:
        if unit_id != previous:
            events.append(Event(valid_from, "unit", _("In the unit %(unit)s") % {"unit": _unit_name(unit_id, valid_from, history)},
                                decision or reorganized.get((previous, unit_id), "")))
            previous = unit_id
    for change in person.status_changes.all():
        events.append(Event(change.effective_on, "status", _("Status: %(status)s") % {"status": change.get_status_display()}, change.decision))
    return sorted(events, key=lambda event: event.day, reverse=True)
