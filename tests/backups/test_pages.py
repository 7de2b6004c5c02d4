"""The backups page and API for Sở Nội vụ and the inspectors (R-10.1, R-13.2, R-16.6): who sees, who operates, the check
records, and the background jobs: back up now, verify, the nightly run."""

import datetime

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.services import create_token
from audit.models import AuditEvent
from backups import services
from backups.models import Backup, BackupCheck
from backups.tasks import nightly, run_backup, run_verification, schedule_nightly
from tests.conftest import UserFactory

PROVINCE, FINANCE = "000.00.00.H19", "000.00.01.H19"


def bearer(user) -> dict:
    _token, raw = create_token(user, name="backups", scopes=[], days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def recorded(backup_settings):
    """A verified backup and its checks, as the nightly run leaves them."""
    backup = Backup.objects.create(file_name="cbccvc-20260114-020000-daily-abcdef.tar.enc", kind="daily", state="done", size=123_456,
                                   started_at=timezone.now(), finished_at=timezone.now(),
                                   verification="ok", verification_message="Restored into a scratch database")
    BackupCheck.objects.create(kind="verification", backup=backup, subject=backup.file_name, result="ok", message="Restored: 74 tables")
    BackupCheck.objects.create(kind="storage", backup=backup, subject="stored documents", result="failed", message="1 missing")
    return backup


@pytest.mark.django_db
def test_inspectors_see_backups_and_checks_and_only_sonoivu_operates_them_R_13_2_R_16_6(client, admin_user, recorded):
    inspector = UserFactory(username="thanhtra", grant=("inspector", PROVINCE))
    client.force_login(inspector)
    page = client.get("/backups/")
    assert page.status_code == 200 and f'data-id="{recorded.pk}" data-state="done" data-verification="ok"' in page.content.decode()
    assert 'href="/backups/"' in page.content.decode() and "start-backup" not in page.content.decode()
    assert "120,6\xa0KB" in page.content.decode()  # the size, as Vietnamese writes it
    assert recorded.file_name in client.get(f"/backups/{recorded.pk}/").content.decode()
    checks = client.get("/backups/checks/")
    assert checks.status_code == 200 and "1 missing" in checks.content.decode()
    assert client.post("/backups/start/").status_code == 403
    assert client.post(f"/backups/{recorded.pk}/verify/").status_code == 403
    assert client.get(f"/backups/{recorded.pk}/download/").status_code == 403
    assert AuditEvent.objects.filter(action="backups.start", outcome="refused", actor=inspector).exists()
    api = bearer(inspector)
    assert client.get("/api/v1/backups", **api).json()["count"] == 1
    assert client.get("/api/v1/backups/checks", **api).json()["count"] == 2
    assert client.get(f"/api/v1/backups/{recorded.pk}", **api).json()["verification"] == "ok"
    assert client.post("/api/v1/backups", data={}, content_type="application/json", **api).status_code == 403

    officer = UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))
    client.force_login(officer)
    assert client.get("/backups/").status_code == 403 and client.get("/backups/checks/").status_code == 403
    assert 'href="/backups/"' not in client.get("/orgs/").content.decode()
    assert client.get("/api/v1/backups", **bearer(officer)).status_code == 403

    client.force_login(admin_user)
    assert "start-backup" in client.get("/backups/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_sonoivu_backs_up_now_and_the_worker_makes_and_verifies_it_R_10_1_R_13_2(client, admin_user, document):
    client.force_login(admin_user)
    assert client.post("/backups/start/", {"kind": "weekly"}).status_code == 302
    queued = Backup.objects.get()
    assert queued.state == "queued" and queued.kind == "weekly" and queued.requested_by == admin_user
    assert DBTaskResult.objects.filter(task_path=run_backup.module_path, status=TaskResultStatus.READY).count() == 1
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message is asserted in English; the site is Vietnamese first
    again = client.post("/backups/start/", follow=True)
    assert "A backup is already waiting for the worker or running." in again.content.decode()
    assert "hx-trigger" in client.get("/backups/").content.decode()  # the page follows the worker

    assert run_backup.call(queued.pk) == "done"  # the worker's turn
    backup = Backup.objects.get()
    assert backup.state == "done" and backup.verification == "ok" and backup.kind == "weekly"
    page = client.get("/backups/").content.decode()
    assert 'data-verification="ok"' in page and "hx-trigger" not in page
    assert BackupCheck.objects.filter(backup=backup, kind="verification", checked_by=admin_user, result="ok").exists()

    assert client.post(f"/backups/{backup.pk}/verify/").status_code == 302
    waiting = client.get("/backups/").content.decode()
    assert 'data-pending="1"' in waiting and "hx-trigger" in waiting
    task = DBTaskResult.objects.get(task_path=run_verification.module_path)
    assert run_verification.call(*task.args_kwargs["args"]) is True
    assert "hx-trigger" not in client.get("/backups/").content.decode()
    assert BackupCheck.objects.filter(backup=backup, kind="verification").count() == 2

    download = client.get(f"/backups/{backup.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == services.backup_path(backup).read_bytes()
    assert AuditEvent.objects.filter(action="backups.download", actor=admin_user).count() == 1

    api = bearer(admin_user)
    started = client.post("/api/v1/backups", data={"kind": "daily"}, content_type="application/json", **api)
    assert started.status_code == 202 and started.json()["state"] == "queued"
    assert client.post(f"/api/v1/backups/{backup.pk}/verify", **api).status_code == 202
    detail = client.get(f"/api/v1/backups/{backup.pk}", **api).json()
    assert detail["manifest"]["tables"]["people_person"]["rows"] == 1 and detail["sha256"] == backup.sha256


@pytest.mark.django_db(transaction=True)
def test_the_nightly_job_backs_up_verifies_prunes_and_comes_back_the_next_night_R_10_1_R_16_6(admin_user, backup_settings, capsys):
    assert schedule_nightly() and not schedule_nightly()
    call_command("backup", "--schedule")
    assert "already waiting" in capsys.readouterr().out
    waiting = DBTaskResult.objects.get(task_path=nightly.module_path, status=TaskResultStatus.READY)
    assert timezone.localtime(waiting.run_after).time() == datetime.time(2, 0)

    summary = nightly.call()
    assert summary["verified"] is True and summary["pruned"] == 0
    backup = Backup.objects.get()
    assert backup.requested_by is None and backup.verification == "ok"
    assert set(BackupCheck.objects.values_list("kind", "checked_by")) == {("storage", None), ("verification", None)}
    assert DBTaskResult.objects.filter(task_path=nightly.module_path, status=TaskResultStatus.READY).count() == 2  # tomorrow's too
