"""Vietnam's working days: Monday to Friday, less the public holidays of the Labor Code 2019 Art. 112 (lunar Tết and the
Hùng Kings' day included) and the government's announced day swaps, as the `holidays` package carries them (a swapped
Saturday counts as a working day), corrected by the overrides Sở Nội vụ enters (CalendarOverride). The regulation's
deadlines ("within 10 working days") are counted here."""

import datetime
import functools

import holidays

from .models import CalendarOverride

ONE_DAY = datetime.timedelta(days=1)


@functools.lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def working_by_law(day: datetime.date) -> bool:
    """A working day by the package's calendar (a swapped Saturday included), before any override."""
    return _calendar(day.year).is_working_day(day)


def holidays_of(year: int) -> list[tuple[datetime.date, str]]:
    """The year's public holidays and announced days off by the package's calendar, in order."""
    return sorted(_calendar(year).items())


class WorkCalendar:
    """The working days of a period, with the overrides read once: many deadlines are counted with one query."""

    def __init__(self, first: datetime.date, last: datetime.date):
        self.first, self.last = first, last
        self.overrides = dict(CalendarOverride.objects.filter(day__gte=first, day__lte=last).values_list("day", "working"))

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _calendar(day.year).is_working_day(day)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one calendar lives for one computation
    def add(self, day: datetime.date, count: int) -> datetime.date:
        """The `count`-th working day after `day` (the day itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        while count:
            day += ONE_DAY
            count -= self.is_working_day(day)
        return day

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after `start` up to and including `end` (0 when end is not after start)."""
        return sum(self.is_working_day(start + ONE_DAY * n) for n in range(1, (end - start).days + 1)) if end > start else 0


def around(*days: datetime.date) -> WorkCalendar:
    """A calendar holding these days and enough after them for any deadline of the regulation (Tết is at most nine days off)."""
    return WorkCalendar(min(days), max(days) + datetime.timedelta(days=120))


def is_working_day(day: datetime.date) -> bool:
    return WorkCalendar(day, day).is_working_day(day)


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `day` (the day itself not counted): the last day of a deadline of that many
    working days from an event on `day`."""
    return WorkCalendar(day, day + datetime.timedelta(days=2 * count + 60)).add(day, count)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start): how late something is."""
    return WorkCalendar(start, max(start, end)).between(start, end)
