"""When a person reaches retirement age under normal working conditions (Labor Code 2019 Art. 169; Decree 135/2020/NĐ-CP
Art. 4 and 7); the roadmap is data in data/retirement.json with its source."""

import calendar
import datetime
import functools
import json

from django.conf import settings

from .models import Person
from .services import PeopleQuery, search_people


@functools.cache
def roadmap() -> dict:
    return json.loads((settings.BASE_DIR / "data" / "retirement.json").read_text(encoding="utf-8"))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.month - 1 + months, 12)
    return datetime.date(day.year + year, month + 1, 1)


def retirement_age_months(gender: str, year: int) -> int | None:
    """The retirement age, in months, of people who reach it in `year` (None: no rule for this sex)."""
    rule = roadmap()["by_gender"].get(gender)
    if rule is None:
        return None
    steps = max(0, year - roadmap()["first_year"])
    return min(rule["first_age_months"] + steps * rule["step_months"], rule["final_age_months"])


def retirement_date(birth_date: datetime.date | None, gender: str) -> datetime.date | None:
    """The day a person retires: the end of the month in which they reach the retirement age of that year (Decree 135/2020,
    Art. 7). The age rises year by year, so the year whose age the person reaches within that same year is the one."""
    if birth_date is None or gender not in roadmap()["by_gender"]:
        return None
    first_year = roadmap()["first_year"]
    before = _add_months(birth_date, roadmap()["by_gender"][gender]["age_months_before"])
    if before.year < first_year:  # reached under the 2012 Labor Code, before the roadmap began
        return before.replace(day=calendar.monthrange(before.year, before.month)[1])
    year = max(first_year, birth_date.year + 50)
    while True:
        reached = _add_months(birth_date, retirement_age_months(gender, year))
        if reached.year <= year:
            return reached.replace(day=calendar.monthrange(reached.year, reached.month)[1])
        year += 1


def upcoming(user, *, unit_id: int | None = None, months: int = 12, day: datetime.date | None = None) -> list[tuple]:
    """(person, retirement day) of working people the user may see who retire within `months` from `day`, soonest first.
    Reading birth dates needs their clearance, as filtering by age does (search_people refuses otherwise)."""
    day = day or datetime.date.today()
    end = _add_months(day, months + 1) - datetime.timedelta(days=1)
    youngest = min(rule["age_months_before"] for rule in roadmap()["by_gender"].values()) // 12  # nobody retires younger
    old_enough = PeopleQuery(unit_id=unit_id, age_from=max(0, youngest - months // 12 - 1))
    found = search_people(user, old_enough, day=day).exclude(status__in=Person.CLOSED)
    dated = [(person, retirement_date(person.birth_date, person.gender)) for person in found.order_by().select_related("unit")]
    return sorted(((person, when) for person, when in dated if when and day <= when <= end), key=lambda pair: (pair[1], pair[0].full_name))
