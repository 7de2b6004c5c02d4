"""End to end in Chromium: a person sees their deadline among their tasks and meets it by confirming their record (R-6.4);
Sở Nội vụ enters an extra day off on the working-day calendar."""

import datetime

import pytest

from compliance import dashboards, services
from compliance.models import CalendarOverride, Obligation
from tests.browser.test_record_paths import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_meets_the_check_of_their_record_from_their_tasks_R_6_4(page, live_server, person):
    services.refresh()
    login(page, live_server, person.account.username)
    page.click("header nav a[href='/compliance/tasks/']")
    assert "kiểm tra, cập nhật hồ sơ của mình" in page.inner_text("table.obligations").lower()
    page.click("header nav a[href='/people/me/']")
    page.click("#confirm-checked")
    page.wait_for_selector(".messages li")
    page.click("header nav a[href='/compliance/tasks/']")
    assert "Không có" in page.inner_text("table.obligations") or "None" in page.inner_text("table.obligations")
    assert Obligation.objects.get(kind="first_entry").met_on == datetime.date.today()


def test_sonoivu_enters_an_extra_day_off_R_6_3(page, live_server, admin_user):
    login(page, live_server, admin_user.username)
    page.goto(f"{live_server.url}/compliance/calendar/?year=2027")
    assert "2027" in page.inner_text("h1")
    page.fill("#id_day", "2027-06-07")
    page.select_option("#id_working", "0")
    page.fill("#id_reason", "Thông báo nghỉ thêm theo Nghị quyết của Quốc hội")
    page.click("#override-form button[type=submit]")
    page.wait_for_selector(".messages li")
    assert "Nghị quyết của Quốc hội" in page.inner_text("#overrides")
    assert CalendarOverride.objects.get().day == datetime.date(2027, 6, 7)


def test_the_hr_officer_reads_the_dashboard_and_drills_down_to_a_sub_unit_R_4_6(page, live_server, person, hr):
    dashboards.take_snapshot()
    login(page, live_server, hr.username)
    page.click("header nav a[href='/compliance/']")
    assert page.locator("h1").inner_text() == "Sở Tài chính" and page.locator("svg.chart").count() >= 2
    assert "1" in page.locator("#tiles .tile").first.inner_text()
    page.click("#sub-units a:has-text('Phòng Ngân sách')")
    page.wait_for_url("**/compliance/?unit=000.02.01.H19")
    assert page.locator("h1").inner_text() == "Phòng Ngân sách"
