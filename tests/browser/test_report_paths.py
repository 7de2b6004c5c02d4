"""End to end in Chromium: Sở Nội vụ counts the province's people by unit and sex, drills down to the people of one cell,
and downloads the Ministry's standard form for the province (R-9.2, R-3.13)."""

import openpyxl
import pytest

from tests.browser.test_record_paths import login
from tests.reports.conftest import staff  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("staff")
def test_sonoivu_counts_drills_down_and_downloads_the_standard_form_R_9_2(page, live_server, admin_user):
    login(page, live_server, admin_user.username)
    page.click("header nav a[href='/reports/statistics/']")
    page.select_option("#id_rows", "unit")
    page.select_option("#id_columns", "gender")
    page.click("#statistics-form button[type=submit]")
    row = page.locator("#statistics-table tbody tr", has_text="Sở Tài chính")
    assert row.locator("td").last.inner_text().strip() == "4"
    assert page.locator("svg.chart").count() == 1
    row.locator("td a").first.click()
    page.wait_for_url("**/people/?**")
    assert "Nguyễn Văn Dũng" in page.inner_text("table")
    page.go_back()
    page.click("a:has-text('Biểu mẫu báo cáo của Bộ')")
    page.select_option("#id_form", "civil-servants")
    page.click("#standard-form button[type=submit]")
    assert "Sở Tài chính" in page.inner_text("#form-table")
    with page.expect_download() as download:
        page.click("a:has-text('XLSX')")
    with open(download.value.path(), "rb") as handle:
        sheet = openpyxl.load_workbook(handle).active
    assert any(row[1] == "Tổng cộng" and row[2] == 4 for row in sheet.iter_rows(values_only=True))
