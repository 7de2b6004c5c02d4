"""End to end in Chromium: the HR officer filters the people list, exports it to XLSX, watches the worker's progress on the
export's page and downloads the file (R-3.13, R-9.3)."""

import io

import openpyxl
import pytest

from reports import exports
from reports.columns import cleared_columns
from reports.models import ExportJob
from reports.tasks import write_export
from tests.browser.test_record_paths import login
from tests.conftest import UserFactory
from tests.reports.conftest import staff  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("staff")
def test_hr_officer_exports_the_filtered_list_and_downloads_it_R_3_13(page, live_server, settings, tmp_path, monkeypatch):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    monkeypatch.setattr(exports, "SYNC_ROWS", 0)  # every export goes to the worker, as a large one would
    officer = UserFactory(username="tccb.stc", grant=("hr_officer", "000.00.01.H19"))
    login(page, live_server, officer.username)
    page.click("header nav a[href='/people/']")
    page.select_option("#id_category", "CC")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/people/?**category=CC**")
    assert page.locator("table tbody tr").count() == 3
    page.click("#export-form summary")
    page.uncheck("#export-form input[value=completeness]")
    page.click("#export-form button[value=xlsx]")
    page.wait_for_url("**/reports/exports/*/")
    job = ExportJob.objects.get()
    assert page.locator("#export-progress progress").count() == 1
    write_export.call(job.pk)  # the worker's turn; the page asks again every two seconds
    page.wait_for_selector("#export-download", timeout=10_000)
    assert page.locator("#export-progress progress").count() == 0
    with page.expect_download() as download:
        page.click("#export-download")
    assert download.value.suggested_filename == job.file_name
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Họ và tên" and "Dân tộc" not in rows[0] and len(rows[0]) == len(cleared_columns(2)) - 1  # one unchecked
    assert sorted(row[0] for row in rows[1:]) == ["Lò Thị Mai", "Nguyễn Văn Dũng", "Trần Thị Lan"]
    page.click("nav.crumbs a")
    assert job.file_name in page.inner_text("#export-jobs")
