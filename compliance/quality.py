"""Data-quality checks (R-13.4, R-13.5), run each night and on demand: contradictions in the province's data that entry
rules cannot catch one record at a time. Each finding goes to the unit responsible and stays open until a run no longer
finds it; one found again after it was resolved opens again.

- the same person twice: two working records with the same name and date of birth (one citizen ID each, so a typing
  error in one of the numbers, or a record brought in twice);
- past the retirement age (Labor Code 2019 Art. 169, Decree 135/2020) and still working;
- more people at work in a unit and category than its staffing quota (biên chế) of the year;
- fields of a record that contradict each other (the record form's rules: dates out of order, a salary step or
  coefficient outside the rank's table, a citizen ID that does not match the birth date and gender, an impossible age).
  Records must be decrypted to be read, so a run reads those whose version changed since it last read them, then the
  ones read longest ago, up to a budget; the others keep what was found when they were read.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone, translation

from orgs.models import StaffingQuota
from people.models import Person, RecordVersion
from people.retirement import retirement_date
from people.services import version_record
from people.validation import check_record, salary_tables

from .models import Finding, RecordRuleCheck

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


RECORD_BUDGET = 20_000  # records read per run: about 40 s; a province's 100,000 are all read again within a week
REREAD_DAYS = 30
BATCH = 1000


def _to_read(today: datetime.date, budget: int) -> list[int]:
    """People at work whose current version was not read yet, then those read longest ago (over REREAD_DAYS)."""
    at_work = Person.objects.filter(status__in=AT_WORK, version__gte=1)
    checked = dict(RecordRuleCheck.objects.values_list("person_id", "version"))
    changed = [pk for pk, version in at_work.values_list("pk", "version").iterator(chunk_size=5000) if checked.get(pk) != version]
    stale = (RecordRuleCheck.objects.filter(checked_on__lt=today - datetime.timedelta(days=REREAD_DAYS), person__in=at_work)
             .order_by("checked_on").values_list("person_id", flat=True)[:max(budget - len(changed), 0)])
    return (changed + list(stale))[:budget]


def _record_rules(today: datetime.date, existing: dict[str, Finding], budget: int) -> dict[str, tuple]:
    read = _to_read(today, budget)
    wanted = {}
    checks = []
    tables = salary_tables()
    with translation.override(settings.LANGUAGE_CODE):  # findings read the same whoever ran the checks
        for start in range(0, len(read), BATCH):
            versions = (RecordVersion.objects.filter(person_id__in=read[start:start + BATCH], number=F("person__version"))
                        .select_related("data_key", "person").only("person_id", "number", "content", "sealed", "data_key",
                                                                   "person__unit_id"))
            for version in versions:
                broken = [p for p in check_record(version_record(version), today, tables) if not p.missing]
                if broken:
                    wanted[f"record:{version.person_id}"] = (Rule.RECORD_RULE, version.person.unit_id, version.person_id, {
                        "version": version.number, "problems": [{"field": p.field, "message": p.message} for p in broken]})
                checks.append(RecordRuleCheck(person_id=version.person_id, version=version.number, checked_on=today))
    RecordRuleCheck.objects.bulk_create(checks, batch_size=BATCH, update_conflicts=True, unique_fields=["person"],
                                        update_fields=["version", "checked_on"])
    # What was found in the records not read this time still stands, while they are at work.
    now_read = set(read)
    kept = {key: finding for key, finding in existing.items()
            if finding.rule == Rule.RECORD_RULE and finding.resolved_on is None and finding.person_id not in now_read}
    units = dict(Person.objects.filter(pk__in=[f.person_id for f in kept.values()], status__in=AT_WORK).values_list("pk", "unit_id"))
    wanted.update({key: (Rule.RECORD_RULE, units[f.person_id], f.person_id, f.details) for key, f in kept.items() if f.person_id in units})
    return wanted


@transaction.atomic
def run_checks(today: datetime.date | None = None, record_budget: int = RECORD_BUDGET) -> dict[str, int]:
    """Run every check; returns how many findings were opened (new or found again) and resolved."""
    today = today or timezone.localdate()
    existing = {finding.key: finding for finding in Finding.objects.iterator(chunk_size=5000)}
    wanted = {**_duplicates(), **_past_retirement(today), **_quotas(today), **_record_rules(today, existing, record_budget)}
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
