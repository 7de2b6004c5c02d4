"""End to end in Chromium: a person sees their deadline among their tasks and meets it by confirming their record (R-6.4);
Sở Nội vụ enters an extra day off on the working-day calendar."""

import datetime

import pytest

from compliance import dashboards, services
from compliance.models import AnnualReport, CalendarOverride, Obligation, ParFormula
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


def test_the_hr_officer_writes_submits_and_downloads_the_units_annual_report_R_15_6(page, live_server, person, hr):
    today = datetime.date.today()
    year = today.year if today.month == 12 else today.year - 1
    dashboards.take_snapshot(datetime.date(year, 12, 1))
    login(page, live_server, hr.username)
    page.click("header nav a[href='/compliance/']")
    page.click("#dashboard-links a[href='/compliance/reports/']")
    page.fill("#id_year", str(year))
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/compliance/reports/*/")
    assert page.locator("#figures").inner_text().count("1") >= 1
    page.click("#submit-report")
    assert page.locator("#report-text [role=alert]").count() == 1  # no assessment yet: refused, named
    page.fill("#id_assessment", "Hồ sơ được cập nhật đầy đủ, phê duyệt đúng hạn.")
    page.fill("#id_proposals", "Đề nghị Sở Nội vụ tổ chức tập huấn.")
    page.click("#submit-report")
    page.wait_for_selector("#report-texts")
    assert "tập huấn" in page.inner_text("#report-texts")
    with page.expect_download() as download:
        page.click("#download-docx")
    assert download.value.suggested_filename.endswith(".docx")
    report = AnnualReport.objects.get()
    assert report.state == "submitted" and report.submitted_by == hr


def test_sonoivu_sets_the_par_weights_and_reads_the_ranking_R_16_3(page, live_server, person, admin_user):
    dashboards.take_snapshot()
    login(page, live_server, admin_user.username)
    page.goto(f"{live_server.url}/compliance/par/")
    for name, points in (("completeness", "40"), ("timeliness", "40"), ("approval", "20"), ("sync", "10")):
        page.fill(f"#formula-form #id_{name}", points)
    page.click("#formula-form button[type=submit]")
    assert "110" in page.inner_text("#formula-form [role=alert]") and not ParFormula.objects.exists()
    page.fill("#formula-form #id_sync", "0")
    page.click("#formula-form button[type=submit]")
    page.wait_for_selector(".messages li")
    assert ParFormula.objects.get().weights == {"completeness": 40, "timeliness": 40, "approval": 20, "sync": 0}
    first = page.locator("#ranking tbody tr").first.inner_text()
    assert "Sở Tài chính" in first and "40 ×" in first
