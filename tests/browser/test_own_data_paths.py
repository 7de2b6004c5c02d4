"""End to end in Chromium: a civil servant downloads their whole record as JSON and sees, in the access history, that the
unit's HR officer read it (R-9.4)."""

import json
from pathlib import Path

import pytest

from people import services
from tests.browser.test_record_paths import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_person_downloads_own_record_and_sees_who_read_it_R_9_4(page, live_server, person, hr):
    hr.last_name, hr.first_name = "Trần Thị", "Hoa"
    hr.save()
    services.read_record(hr, person)  # the HR officer reads the record's sensitive fields: audited

    login(page, live_server, person.account.username)
    page.click("header nav a[href='/people/me/']")
    page.wait_for_url(f"**/people/{person.pk}/")
    with page.expect_download() as download:
        page.click("#download-json")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["person_id"] == person.pk and data["sections"]["identity"]["citizen_id"] == "075085001234"

    page.click("#access-history-link")
    page.wait_for_url("**/people/me/access/")
    history = page.locator("#access-history").inner_text()
    assert "Trần Thị Hoa" in history and "Cán bộ phụ trách tổ chức, nhân sự" in history
