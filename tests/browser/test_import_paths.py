"""End to end in Chromium: the HR officer downloads the import template, fills in three people, uploads it as a dry run,
watches the worker's progress, applies the valid file and finds the records created (R-9.1)."""

import pytest

from imports.models import ImportJob
from imports.tasks import apply_import, validate_import
from people.models import Person
from tests.browser.test_record_paths import login
from tests.imports.conftest import fill, officer, records  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_officer_imports_the_filled_template_after_a_dry_run_R_9_1(page, live_server, officer, tmp_path):  # noqa: F811
    login(page, live_server, officer.username)
    page.click("header nav a[href='/imports/']")
    page.wait_for_url("**/imports/")
    with page.expect_download() as download:
        page.click("#template-xlsx")
    assert download.value.suggested_filename == "mau-nhap-ho-so.xlsx"
    filled = tmp_path / "ho-so-cu.xlsx"
    fill(records(3), template=download.value.path().read_bytes()).save(filled)
    assert page.is_checked("#id_dry_run")
    page.set_input_files("#id_file", str(filled))
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    job = ImportJob.objects.get()
    assert job.dry_run and page.locator("#import-job progress").count() == 1
    validate_import.call(job.pk)  # the worker's turn; the page asks again every two seconds
    page.wait_for_selector("#import-apply", timeout=10_000)
    assert page.locator("#import-job progress").count() == 0 and not Person.objects.exists()
    page.click("#import-apply")
    page.wait_for_selector("#import-state[data-state=applying]")
    apply_import.call(job.pk)
    page.wait_for_selector("#import-applied", timeout=10_000)
    assert Person.objects.filter(version=1).count() == 3
    page.click("nav.crumbs a")
    assert "ho-so-cu.xlsx" in page.inner_text("#import-jobs")
