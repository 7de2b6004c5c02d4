"""Working days in Vietnam's calendar, against the real 2024-2026 holidays (deadlines of R-6.3, R-6.4, R-8.3, R-8.4)."""

import datetime

import pytest

from compliance.models import CalendarOverride
from compliance.workdays import add_working_days, is_working_day, working_days_between
from tests.conftest import UserFactory

D = datetime.date
pytestmark = pytest.mark.django_db  # Sở Nội vụ's overrides live in the database


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 2, 16), False), (D(2026, 2, 20), False),  # Tết Bính Ngọ
    (D(2026, 4, 27), False),  # Hùng Kings' day (10/3 lunar, a Sunday) observed on Monday
    (D(2025, 5, 2), False), (D(2025, 4, 26), True),  # 2/5/2025 off, swapped for Saturday 26/4/2025, which is worked
    (D(2026, 8, 31), False), (D(2026, 8, 22), True),  # 31/8/2026 off, swapped for Saturday 22/8/2026
    (D(2024, 4, 29), False), (D(2024, 5, 4), True),
    (D(2026, 12, 5), False), (D(2026, 12, 7), True),
])
def test_the_calendar_knows_holidays_and_swapped_saturdays_R_8_3(day, working):
    assert is_working_day(day) is working


def test_ten_working_days_after_a_handover_skip_tet_R_8_3():
    assert add_working_days(D(2026, 2, 12), 10) == D(2026, 3, 5)  # Thursday before Tết: 13/2, then 23/2 to 5/3
    assert add_working_days(D(2026, 11, 27), 10) == D(2026, 12, 11)


def test_five_working_days_across_the_april_holidays_R_6_3():
    assert add_working_days(D(2026, 4, 24), 5) == D(2026, 5, 6)  # 27/4, 30/4 and 1/5 are off
    assert working_days_between(D(2026, 4, 24), D(2026, 5, 6)) == 5
    assert working_days_between(D(2026, 5, 6), D(2026, 4, 24)) == 0


def test_overrides_entered_by_sonoivu_win_over_the_package_R_6_3():
    officer = UserFactory(username="sonoivu")
    CalendarOverride.objects.create(day=D(2026, 12, 7), working=False, reason="Nghỉ thêm theo thông báo", created_by=officer)
    CalendarOverride.objects.create(day=D(2026, 12, 12), working=True, reason="Làm bù ngày thứ Bảy", created_by=officer)
    assert not is_working_day(D(2026, 12, 7)) and is_working_day(D(2026, 12, 12))
    assert add_working_days(D(2026, 12, 4), 4) == D(2026, 12, 11)  # Monday 7/12 is off
    assert add_working_days(D(2026, 12, 4), 5) == D(2026, 12, 12)  # and Saturday 12/12 is worked
