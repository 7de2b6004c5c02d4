"""Vietnam's working days: Monday to Friday, less the public holidays of the Labor Code 2019 Art. 112 (lunar Tết and the
Hùng Kings' day included) and the government's announced day swaps, as the `holidays` package carries them (a swapped
Saturday counts as a working day). The regulation's deadlines ("within 10 working days") are counted here."""

import datetime
import functools

import holidays


@functools.lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: datetime.date) -> bool:
    return _calendar(day.year).is_working_day(day)


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `day` (the day itself not counted): the last day of a deadline of that many
    working days from an event on `day`."""
    if count < 0:
        raise ValueError("count must not be negative")
    while count:
        day += datetime.timedelta(days=1)
        count -= is_working_day(day)
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start): how late something is."""
    days, count = start, 0
    while days < end:
        days += datetime.timedelta(days=1)
        count += is_working_day(days)
    return count
