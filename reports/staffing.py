"""Staffing: the posts a unit is given (biên chế, by year and category; vị trí việc làm) against the people in office (R-9.2)."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from audit.services import record_refusal
from common.errors import ServiceError
from common.text import search_key
from orgs.models import JobPosition, StaffingQuota
from orgs.services import children_map, versions_on
from people.models import Person

from .population import IN_OFFICE
from .standard_forms import row_units


@dataclass
class QuotaRow:
    unit_id: int
    label: str
    quota: dict[str, int] = field(default_factory=dict)  # category -> posts
    actual: dict[str, int] = field(default_factory=dict)  # category -> people in office

    def difference(self, category: str) -> int:
        return self.actual.get(category, 0) - self.quota.get(category, 0)


@dataclass
class PositionRow:
    unit_label: str
    code: str
    name: str
    category: str
    posts: int
    held: int


@dataclass
class Staffing:
    unit_id: int
    unit_name: str
    year: int
    categories: list[str]
    rows: list[QuotaRow]
    positions: list[PositionRow]

    def total(self, what: str, category: str) -> int:
        return sum(getattr(row, what).get(category, 0) for row in self.rows)


def staffing(user, unit_id: int, year: int | None = None, *, request=None) -> Staffing:
    """Each sub-unit's (subtree's) quota and people by category, and each job position with the people holding it."""
    day = timezone.localdate()
    year = year or day.year
    names = dict(versions_on(day).values_list("unit_id", "name"))
    if unit_id not in names:
        raise ServiceError(_("Unit: there is no such unit today."), "unit")
    if not authz.can(user, "reports.view", unit_id, day):
        record_refusal(user, "reports.staffing", reason="out of scope", unit_id=unit_id, request=request)
        raise PermissionDenied(_("You may not see reports on this unit."))
    rows_of = row_units(unit_id, children_map(day))
    rows = {row: QuotaRow(row, names[row]) for row in dict.fromkeys(rows_of.values())}
    quotas = (StaffingQuota.objects.filter(unit_id__in=rows_of, year=year).values("unit_id", "category__code")
              .annotate(n=Sum("amount")).order_by())
    for item in quotas:
        quota = rows[rows_of[item["unit_id"]]].quota
        quota[item["category__code"]] = quota.get(item["category__code"], 0) + item["n"]
    actual = Person.objects.filter(unit_id__in=rows_of, status__in=IN_OFFICE).values("unit_id", "category").annotate(n=Count("pk")).order_by()
    for item in actual:
        counts = rows[rows_of[item["unit_id"]]].actual
        counts[item["category"]] = counts.get(item["category"], 0) + item["n"]
    categories = sorted({c for row in rows.values() for c in (*row.quota, *row.actual)})
    ordered = sorted(rows.values(), key=lambda row: (row.unit_id != unit_id, row.label))
    return Staffing(unit_id, names[unit_id], year, categories, ordered, _positions(rows_of, names, day))


def _positions(unit_ids, names: dict, day: datetime.date) -> list[PositionRow]:
    """Open job positions of the subtree; a person holds one when their record's job position is its code or its name."""
    open_on = Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    positions = list(JobPosition.objects.filter(open_on, unit_id__in=unit_ids).select_related("category"))
    held: dict[tuple[int, str], int] = {}
    declared = (Person.objects.filter(unit_id__in={p.unit_id for p in positions}, status__in=IN_OFFICE).exclude(job_position="")
                .values("unit_id", "job_position").annotate(n=Count("pk")).order_by())
    for item in declared:
        key = (item["unit_id"], search_key(item["job_position"]))
        held[key] = held.get(key, 0) + item["n"]
    rows = []
    for position in positions:
        by_code = held.get((position.unit_id, search_key(position.code)), 0)
        by_name = held.get((position.unit_id, search_key(position.name)), 0)
        rows.append(PositionRow(names.get(position.unit_id, ""), position.code, position.name, position.category.code, position.count,
                                by_code + (by_name if search_key(position.name) != search_key(position.code) else 0)))
    return sorted(rows, key=lambda row: (row.unit_label, row.code))
