"""End to end in Chromium: an employee reports a problem to Sở Nội vụ with a scan, Sở Nội vụ opens it and answers, and the
employee reads the answer (R-19.5)."""

import pytest

from problems.models import ProblemAttachment, ProblemReport
from tests.browser.test_record_paths import login
from tests.people.conftest import PDF, unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_employee_reports_a_problem_with_a_scan_and_reads_the_answer_of_sonoivu_R_19_5(page, live_server, person, admin_user, tmp_path):
    employee = person.account
    employee.unit = unit("000.02.01.H19")
    employee.save(update_fields=["unit"])
    proof = tmp_path / "the-dang-vien.pdf"
    proof.write_bytes(PDF)

    login(page, live_server, employee.username)
    page.click("header nav a[href='/problems/']")
    page.click("#new-problem")
    page.select_option("#id_category", "data")
    page.fill("#id_subject", "Sai ngày vào Đảng")
    page.fill("#id_description", "Hồ sơ ghi 03/02/2012, đúng là 03/02/2011 theo thẻ đảng viên.")
    page.set_input_files("#id_files", str(proof))
    page.click("#problem-form button[type=submit]")
    page.wait_for_selector("#conversation")
    report = ProblemReport.objects.get()
    assert page.locator("#report-state").get_attribute("data-state") == "new"
    assert "Sai ngày vào Đảng" in page.inner_text("#report-subject") and "the-dang-vien.pdf" in page.inner_text("#conversation")
    assert ProblemAttachment.objects.get().message.report == report

    login(page, live_server, admin_user.username)
    page.goto(f"{live_server.url}/problems/")
    page.click(f"#problems a[href='/problems/{report.pk}/']")
    page.wait_for_selector("#conversation")
    scan = page.request.get(live_server.url + page.locator("#conversation .attachments a").get_attribute("href"))
    assert scan.ok and scan.body() == PDF  # Sở Nội vụ opens the scan sent with the report
    page.fill("#id_text", "Anh/chị sửa mục Đảng, Đoàn thể và đính kèm bản chụp thẻ đảng viên.")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector(".messages li")
    assert page.locator("#report-state").get_attribute("data-state") == "answered"

    login(page, live_server, employee.username)
    page.goto(f"{live_server.url}/problems/")
    page.click(f"#problems a[href='/problems/{report.pk}/']")
    assert "Anh/chị sửa mục Đảng, Đoàn thể" in page.inner_text("#conversation")
    assert page.locator("#report-state").get_attribute("data-state") == "answered"
    page.click("#state-closed")
    page.wait_for_selector(".messages li")
    assert page.locator("#report-state").get_attribute("data-state") == "closed"
    report.refresh_from_db()
    assert report.state == "closed" and report.closed_at is not None
