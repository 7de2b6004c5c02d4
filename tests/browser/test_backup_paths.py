"""End to end in Chromium: Sở Nội vụ opens the backups page, backs up now, the worker makes the backup and verifies it by
restoring it into a scratch database, and the page shows it verified (R-10.1, R-13.2, R-16.6)."""

import base64

import pytest

from backups.models import Backup
from backups.tasks import run_backup
from tests.browser.test_record_paths import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sonoivu_backs_up_now_and_sees_the_backup_verified_R_10_1_R_16_6(page, live_server, admin_user, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEY = base64.b64encode(b"b" * 32).decode()
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    login(page, live_server, admin_user.username)
    page.click("header nav a[href='/backups/']")
    page.wait_for_url("**/backups/")
    assert page.locator("#backups tbody tr").count() == 1  # "no backups yet"
    page.select_option("#backup-kind", "daily")
    page.click("#start-backup")
    page.wait_for_selector("#backups tr[data-state='queued']")
    assert page.locator(".messages li").count() == 1
    backup = Backup.objects.get()
    run_backup.call(backup.pk)  # the worker's turn; the page asks again every two seconds
    page.wait_for_selector("#backups tr[data-state='done'][data-verification='ok']", timeout=10_000)
    backup.refresh_from_db()
    assert backup.kind == "daily" and backup.verification == "ok"
    assert page.locator("#backup-overview [role=alert]").count() == 0  # a backup verified within 48 hours
    page.click(f"#backups tr[data-id='{backup.pk}'] a")
    page.wait_for_url(f"**/backups/{backup.pk}/")
    assert backup.file_name in page.inner_text("h1")
    assert page.locator("#backup-verification .ok").count() == 1
    assert page.locator(".backup-checks tr[data-kind='verification'][data-result='ok']").count() == 1
    with page.expect_download() as download:
        page.click("#download-backup")
    assert download.value.suggested_filename == backup.file_name
    assert download.value.path().read_bytes() == (settings.BACKUP_DIR / backup.file_name).read_bytes()
