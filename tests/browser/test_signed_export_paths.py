"""End to end in Chromium: a head signs a person's résumé with their key and the agency seal, downloads it, and anyone
verifies the file on the public page (R-9.5)."""

import pytest

from reports.models import SignedExport
from tests.browser.test_record_paths import login
from tests.conftest import KEY_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SEAL_PASSWORD = "mat-khau-con-dau"


@pytest.fixture
def seal(ca, settings, tmp_path):
    settings.SEAL_DIR, settings.SEAL_PASSWORD = tmp_path / "seals", SEAL_PASSWORD
    settings.SEAL_DIR.mkdir()
    (settings.SEAL_DIR / "000.00.01.H19.p12").write_bytes(ca.pkcs12("Sở Tài chính tỉnh Đồng Nai", SEAL_PASSWORD.encode()))
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}


def test_a_head_signs_a_resume_and_anyone_verifies_it_R_9_5(page, live_server, person, head, head_key, seal, tmp_path):
    login(page, live_server, head.username)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.click("#sign-resume")
    assert "Sở Tài chính tỉnh Đồng Nai" in page.locator("#seal").inner_text()
    key = tmp_path / "giamdoc.p12"
    key.write_bytes(head_key)
    page.set_input_files("#id_p12", str(key))
    page.fill("#id_password", KEY_PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("#export-code")
    export = SignedExport.objects.get()
    assert page.locator("#export-code").inner_text() == export.code
    with page.expect_download() as download:
        page.click("#download-signed")
    signed_file = tmp_path / "so-yeu-ly-lich.pdf"
    download.value.save_as(signed_file)

    page.context.clear_cookies()  # the verification page is public
    page.goto(f"{live_server.url}/reports/verify/")
    page.set_input_files("#id_file", str(signed_file))
    page.click("#verify-form button[type=submit]")
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-valid") == "true"
    assert "Giám đốc Sở Tài chính" in verdict.inner_text() and export.code in page.locator("#registered").inner_text()
