"""Dashboards of the province and of each unit (R-4.6, R-15.3, R-16.5): complete and incomplete records, changes waiting,
approvals, signatures, overdue obligations, and their trend by month.

A nightly snapshot counts each unit's own records (`UnitSnapshot`); a dashboard sums the snapshots of a subtree, so the
page reads one row per unit whatever the number of people, and the months' trend comes from the snapshots kept.
"""

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from approvals.models import Rejection, VersionSignature
from common.errors import ServiceError
from common.text import as_id
from orgs.services import children_map, subtree_ids, unit_by_code, versions_on
from people.models import ChangeSet, Person

from .models import Obligation, UnitSnapshot

MONTHS = 12


def unit_for(user, ref: str) -> int:
    """The unit a dashboard is asked for (its code, or its id for sub-units without one), inside the user's reporting
    scope; without one, the top of that scope."""
    today = timezone.localdate()
    ref = (ref or "").strip()
    if ref:
        unit_id = as_id(ref) or unit_by_code(ref).pk
        authz.require(user, "reports.view", unit_id)
        if not versions_on(today).filter(unit_id=unit_id).exists():
            raise ServiceError(_("No active unit has the code or id “%(ref)s”.") % {"ref": ref}, "unit")
        return unit_id
    allowed = authz.scope(user, "reports.view")
    parents = dict(versions_on(today).values_list("unit_id", "parent_id"))
    tops = sorted(unit for unit in allowed.unit_ids if unit in parents and parents[unit] not in allowed)
    if not tops:
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return tops[0]


def _add(counts: dict, rows, unit_field: str, **names) -> None:
    """Add grouped rows to the per-unit counts: names maps a count of the snapshot to a column of the rows."""
    for row in rows:
        for name, column in names.items():
            counts[row[unit_field]][name] += row[column] or 0


@transaction.atomic
def take_snapshot(today: datetime.date | None = None) -> int:
    """Today's counts of every unit that has any, replacing those taken earlier today; returns the number of units."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    start = timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))
    closed = Q(status__in=Person.CLOSED)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    _add(counts, Person.objects.order_by().values("unit_id").annotate(
        w=Count("pk", filter=~closed), a=Count("pk", filter=closed), c=Count("pk", filter=~closed & Q(completeness=100)),
        s=Sum("completeness", filter=~closed)), "unit_id", working="w", archived="a", complete="c", completeness_sum="s")
    signed = VersionSignature.objects.filter(version__person=OuterRef("pk"), version__number=OuterRef("version"))
    _add(counts, Person.objects.exclude(closed).filter(Exists(signed)).order_by().values("unit_id").annotate(n=Count("pk")), "unit_id",
         signed="n")
    _add(counts, ChangeSet.objects.filter(state__in=ChangeSet.OPEN).order_by().values("person__unit_id").annotate(
        d=Count("pk", filter=Q(state=ChangeSet.State.DRAFT)), s=Count("pk", filter=Q(state=ChangeSet.State.SUBMITTED))),
        "person__unit_id", drafts="d", submitted="s")
    _add(counts, VersionSignature.objects.filter(signed_at__gte=start).order_by().values("version__unit_id").annotate(n=Count("pk")),
         "version__unit_id", approved_month="n")
    _add(counts, Rejection.objects.filter(rejected_at__gte=start).order_by().values("change_set__person__unit_id").annotate(n=Count("pk")),
         "change_set__person__unit_id", rejected_month="n")
    live = Q(met_on__isnull=True, dropped_on__isnull=True)
    _add(counts, Obligation.objects.order_by().values("unit_id").annotate(
        o=Count("pk", filter=live & Q(due_on__gte=today)), v=Count("pk", filter=live & Q(due_on__lt=today)),
        m=Count("pk", filter=Q(met_on__gte=month, met_on__lte=F("due_on"))), t=Count("pk", filter=Q(met_on__gte=month, met_on__gt=F("due_on")))),
        "unit_id", obligations_open="o", obligations_overdue="v", obligations_met_month="m", obligations_late_month="t")
    _add(counts, Obligation.objects.filter(due_on__gte=today.replace(month=1, day=1), due_on__lte=today, dropped_on__isnull=True)
         .order_by().values("unit_id").annotate(d=Count("pk"), t=Count("pk", filter=Q(met_on__lte=F("due_on")))), "unit_id",
         obligations_due_year="d", obligations_in_time_year="t")
    alive = set(versions_on(today).values_list("unit_id", flat=True))
    now = timezone.now()
    UnitSnapshot.objects.filter(day=today).delete()
    UnitSnapshot.objects.bulk_create([UnitSnapshot(unit_id=unit_id, day=today, computed_at=now, **values)
                                      for unit_id, values in counts.items() if unit_id in alive and any(values.values())], batch_size=1000)
    return len(counts)


def _ratios(totals: dict) -> dict:
    working = totals["working"]

    def share(part: int) -> int | None:
        return round(100 * part / working) if working else None

    return {**totals, "complete_share": share(totals["complete"]), "signed_share": share(totals["signed"]),
            "incomplete": working - totals["complete"], "unsigned": working - totals["signed"],
            "completeness_average": round(totals["completeness_sum"] / working) if working else None,
            "timeliness": round(100 * totals["obligations_in_time_year"] / totals["obligations_due_year"], 1)
            if totals["obligations_due_year"] else None}


def sum_snapshots(snapshots: dict[int, UnitSnapshot], units) -> dict:
    totals = dict.fromkeys(UnitSnapshot.COUNTS, 0)
    for unit_id in units:
        snapshot = snapshots.get(unit_id)
        if snapshot is not None:
            for name in UnitSnapshot.COUNTS:
                totals[name] += getattr(snapshot, name)
    return _ratios(totals)


def year_snapshots(units: set[int], year: int, day: datetime.date) -> dict[int, UnitSnapshot]:
    """The units' snapshots of the year's last snapshot day up to a day: what a year's scores and reports state."""
    last = (UnitSnapshot.objects.filter(day__gte=datetime.date(year, 1, 1), day__lte=day).order_by("-day")
            .values_list("day", flat=True).first())
    return {s.unit_id: s for s in UnitSnapshot.objects.filter(day=last, unit_id__in=units)} if last else {}


def dashboard(unit_id: int, today: datetime.date | None = None) -> dict:
    """The unit's subtree as of the last snapshot: totals, the unit's own records, each sub-unit's subtree, and the trend
    over the last months (the last snapshot of each month)."""
    today = today or timezone.localdate()
    day = UnitSnapshot.objects.filter(day__lte=today).order_by("-day").values_list("day", flat=True).first()
    tree = children_map(today)
    subtree = subtree_ids([unit_id], tree)
    snapshots = {s.unit_id: s for s in UnitSnapshot.objects.filter(day=day, unit_id__in=subtree)} if day else {}
    names = {unit: (name, code) for unit, name, code in versions_on(today).filter(unit_id__in=tree.get(unit_id, []))
             .values_list("unit_id", "name", "code")}
    children = sorted(({"unit_id": child, "name": names[child][0], "code": names[child][1], **sum_snapshots(snapshots, subtree_ids([child], tree))}
                       for child in tree.get(unit_id, [])), key=lambda row: row["name"])
    computed = max((s.computed_at for s in snapshots.values()), default=None)
    return {"day": day, "computed_at": computed, "totals": sum_snapshots(snapshots, subtree), "own": sum_snapshots(snapshots, [unit_id]),
            "children": children, "trend": trend(subtree, today)}


def trend(units: set[int], today: datetime.date) -> list[dict]:
    """For each of the last months that has snapshots: the subtree's totals on the month's last snapshot."""
    first = (today.replace(day=1) - datetime.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    days = UnitSnapshot.objects.filter(day__gte=first, day__lte=today).order_by().values_list("day", flat=True).distinct()
    last_of_month: dict[tuple[int, int], datetime.date] = {}
    for day in days:
        key = (day.year, day.month)
        last_of_month[key] = max(day, last_of_month.get(key, day))
    rows = (UnitSnapshot.objects.filter(day__in=list(last_of_month.values()), unit_id__in=units).order_by().values("day")
            .annotate(**{name: Sum(name) for name in UnitSnapshot.COUNTS}))
    return sorted((_ratios({**{name: row[name] or 0 for name in UnitSnapshot.COUNTS}}) | {"day": row["day"]} for row in rows),
                  key=lambda row: row["day"])
