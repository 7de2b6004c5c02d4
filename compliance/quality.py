"""Data-quality checks (R-13.4, R-13.5), run each night and on demand: contradictions in the province's data that entry
rules cannot catch one record at a time. Each finding goes to the unit responsible and stays open until a run no longer
finds it; one found again after it was resolved opens again.

- the same person twice: two working records with the same name and date of birth (one citizen ID each, so a typing
  error in one of the numbers, or a record brought in twice);
- past the retirement age (Labor Code 2019 Art. 169, Decree 135/2020) and still working;
- more people at work in a unit and category than its staffing quota (biên chế) of the year.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from orgs.models import StaffingQuota
from people.models import Person
from people.retirement import retirement_date

from .models import Finding

Rule = Finding.Rule
AT_WORK = (Person.Status.WORKING, Person.Status.ON_LEAVE)


def _duplicates() -> dict[str, tuple]:
    groups = (Person.objects.filter(status__in=AT_WORK, birth_date__isnull=False).order_by().values("search_key", "birth_date")
              .annotate(n=Count("pk")).filter(n__gt=1))
    wanted = {}
    for group in groups:
        same = list(Person.objects.filter(status__in=AT_WORK, search_key=group["search_key"], birth_date=group["birth_date"])
                    .values_list("pk", "unit_id", "full_name"))
        for pk, unit_id, name in same:
            wanted[f"duplicate:{pk}"] = (Rule.DUPLICATE, unit_id, pk, {"name": name, "others": [other for other, *_ in same if other != pk]})
    return wanted


def _past_retirement(today: datetime.date) -> dict[str, tuple]:
    wanted = {}
    rows = Person.objects.filter(status__in=AT_WORK, birth_date__isnull=False).values_list("pk", "unit_id", "birth_date", "gender")
    for pk, unit_id, birth, gender in rows.iterator(chunk_size=5000):
        retires = retirement_date(birth, gender)
        if retires is not None and retires < today:
            wanted[f"retirement:{pk}"] = (Rule.PAST_RETIREMENT, unit_id, pk, {"retires_on": retires.isoformat()})
    return wanted


def _quotas(today: datetime.date) -> dict[str, tuple]:
    working = defaultdict(int)
    for row in Person.objects.filter(status__in=AT_WORK).order_by().values("unit_id", "category").annotate(n=Count("pk")):
        working[(row["unit_id"], row["category"])] = row["n"]
    wanted = {}
    for unit_id, category, amount in StaffingQuota.objects.filter(year=today.year).values_list("unit_id", "category__code", "amount"):
        if working[(unit_id, category)] > amount:
            wanted[f"quota:{unit_id}:{category}:{today.year}"] = (
                Rule.QUOTA_EXCEEDED, unit_id, None, {"category": category, "year": today.year, "quota": amount,
                                                     "working": working[(unit_id, category)]})
    return wanted


@transaction.atomic
def run_checks(today: datetime.date | None = None) -> dict[str, int]:
    """Run every check; returns how many findings were opened (new or found again) and resolved."""
    today = today or timezone.localdate()
    wanted = {**_duplicates(), **_past_retirement(today), **_quotas(today)}
    existing = {finding.key: finding for finding in Finding.objects.iterator(chunk_size=5000)}
    opened, changed, again = [], [], 0
    for key, (rule, unit_id, person_id, details) in wanted.items():
        found = existing.get(key)
        if found is None:
            opened.append(Finding(key=key, rule=rule, unit_id=unit_id, person_id=person_id, details=details, found_on=today))
        elif found.resolved_on is not None or found.unit_id != unit_id or found.details != details:
            if found.resolved_on is not None:
                found.found_on, again = today, again + 1
            found.unit_id, found.details, found.resolved_on = unit_id, details, None
            changed.append(found)
    Finding.objects.bulk_create(opened, batch_size=1000)
    Finding.objects.bulk_update(changed, ["unit", "details", "resolved_on", "found_on"], batch_size=1000)
    gone = [finding.pk for key, finding in existing.items() if finding.resolved_on is None and key not in wanted]
    resolved = sum(Finding.objects.filter(pk__in=gone[start:start + 2000]).update(resolved_on=today) for start in range(0, len(gone), 2000))
    return {"opened": len(opened) + again, "resolved": resolved}
