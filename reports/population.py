"""Who was in office in a unit subtree on a reference date, and the facts statistics count them by.

Today the facts are the person's mirror columns (indexed, one row per person). For a past date they come from the
record version in effect then (its unit and the clear part of its content) and the status history; counting stays in
the database either way. What is encrypted (religion, party membership dates) is not in a version's clear part: for a
past date, party membership is the person's current one (see docs/reports.md).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, Subquery, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from people.models import Person, RecordVersion, StatusChange

IN_OFFICE = ("working", "on_leave")
FACTS = ("gender", "category", "birth_date", "ethnicity", "rank", "professional_title", "position", "qualification",
         "political_theory", "state_management", "party_member", "job_position")
# Where each fact sits in a version's clear content.
CONTENT_PATHS = {
    "gender": "content__identity__gender", "birth_date": "content__identity__birth_date", "ethnicity": "content__identity__ethnicity",
    "category": "content__employment__category", "job_position": "content__employment__job_position",
    "rank": "content__salary__rank", "professional_title": "content__salary__professional_title",
    "qualification": "content__education__qualification", "political_theory": "content__education__political_theory",
    "state_management": "content__education__state_management",
}


@dataclass(frozen=True)
class Population:
    """A queryset with one row per person in office, whose columns `at_unit` and FACTS can be filtered and counted."""

    rows: object
    day: datetime.date
    dates_as_text: bool  # birth dates are ISO strings in a version's content

    def date_value(self, day: datetime.date):
        return day.isoformat() if self.dates_as_text else day


def in_office(unit_ids, day: datetime.date, today: datetime.date) -> Population:
    if day >= today:
        rows = Person.objects.filter(status__in=IN_OFFICE, unit_id__in=unit_ids).annotate(at_unit=F("unit_id")).order_by()
        return Population(rows, day, dates_as_text=False)
    later = RecordVersion.objects.filter(person=OuterRef("person"), number__gt=OuterRef("number"), valid_from__lte=day)
    status = (StatusChange.objects.filter(person=OuterRef("person"), effective_on__lte=day).order_by("-effective_on", "-pk")
              .values("status")[:1])
    rows = (RecordVersion.objects.filter(valid_from__lte=day, unit_id__in=unit_ids).exclude(Exists(later))
            .annotate(status_then=Subquery(status))
            .filter(Q(status_then__isnull=True) | Q(status_then__in=IN_OFFICE))
            .annotate(at_unit=F("unit_id"), party_member=F("person__party_member"), position=F("person__position"),
                      **{name: Cast(KT(path), TextField()) for name, path in CONTENT_PATHS.items()})  # compared as text
            .order_by())
    return Population(rows, day, dates_as_text=True)


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_between(population: Population, low: int | None, high: int | None) -> Q:
    """Aged from `low` to `high` full years on the reference date (either end open)."""
    q = Q(birth_date__isnull=False)
    if low is not None:
        q &= Q(birth_date__lte=population.date_value(years_before(population.day, low)))
    if high is not None:
        q &= Q(birth_date__gt=population.date_value(years_before(population.day, high + 1)))
    return q
