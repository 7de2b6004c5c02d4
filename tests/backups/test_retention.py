"""Which backups are kept (R-10.1): the last daily, weekly and monthly ones, never the only verified one; and which kind a new
backup is."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from backups import services
from backups.models import Backup

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 14)  # a Wednesday


def at(day: datetime.date, hour: int = 2) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def made(directory, kind: str, day: datetime.date, verification: str = "", state: str = Backup.State.DONE) -> Backup:
    name = f"cbccvc-{day:%Y%m%d}-020000-{kind}-000000.tar.enc"
    (directory / name).write_bytes(b"backup")
    return Backup.objects.create(file_name=name, kind=kind, state=state, started_at=at(day), finished_at=at(day), size=6,
                                 verification=verification)


def test_retention_keeps_the_last_daily_weekly_and_monthly_backups_and_the_only_verified_one_R_10_1(backup_settings):
    backup_settings.BACKUP_KEEP_DAILY, backup_settings.BACKUP_KEEP_WEEKLY, backup_settings.BACKUP_KEEP_MONTHLY = 3, 2, 2
    directory = backup_settings.BACKUP_DIR
    directory.mkdir(parents=True)
    daily = {n: made(directory, "daily", TODAY - datetime.timedelta(days=n), "failed" if n == 2 else "") for n in range(1, 7)}
    weekly = [made(directory, "weekly", TODAY - datetime.timedelta(weeks=n)) for n in range(1, 4)]
    monthly = [made(directory, "monthly", datetime.date(2026, 1, 1)), made(directory, "monthly", datetime.date(2025, 12, 1)),
               made(directory, "monthly", datetime.date(2025, 11, 1), verification="ok")]  # the only verified backup
    tomorrow = made(directory, "daily", TODAY + datetime.timedelta(days=1))  # after `today`: not judged yet
    failed = Backup.objects.create(kind="daily", state=Backup.State.FAILED, started_at=at(TODAY - datetime.timedelta(days=30)), error="disk full")

    pruned = services.prune(TODAY)

    # Daily: the last three that did not fail verification (1, 3, 4 days ago), and the failed one newer than the oldest of them.
    assert {b.pk for b in pruned} == {daily[5].pk, daily[6].pk, weekly[2].pk}
    kept = {b.file_name for b in Backup.objects.filter(state=Backup.State.DONE)}
    assert kept == {b.file_name for b in [daily[1], daily[2], daily[3], daily[4], weekly[0], weekly[1], *monthly, tomorrow]}
    assert {p.name for p in directory.iterdir() if not p.name.startswith(".")} == kept
    assert all(b.state == Backup.State.PRUNED and b.deleted_at for b in Backup.objects.filter(pk__in=[b.pk for b in pruned]))
    failed.refresh_from_db()
    assert failed.state == Backup.State.FAILED
    assert AuditEvent.objects.get(action="backups.prune").details["count"] == 3
    assert services.prune(TODAY) == []  # idempotent


def test_a_failed_verification_does_not_take_a_place_of_the_retention_R_10_1(backup_settings):
    backup_settings.BACKUP_KEEP_DAILY = 2
    directory = backup_settings.BACKUP_DIR
    directory.mkdir(parents=True)
    backups = [made(directory, "daily", TODAY - datetime.timedelta(days=n), "failed") for n in range(1, 4)]
    good = [made(directory, "daily", TODAY - datetime.timedelta(days=n), "ok" if n == 5 else "") for n in (5, 9)]
    older = made(directory, "daily", TODAY - datetime.timedelta(days=12), "ok")
    assert [b.pk for b in services.prune(TODAY)] == [older.pk]  # the two places go to backups that did not fail
    assert set(Backup.objects.filter(state=Backup.State.DONE).values_list("pk", flat=True)) == {*(b.pk for b in good + backups)}


def test_the_months_first_backup_is_monthly_the_weeks_first_weekly_R_10_1(backup_settings):
    directory = backup_settings.BACKUP_DIR
    directory.mkdir(parents=True)
    assert services.choose_kind(TODAY) == "monthly"
    made(directory, "monthly", datetime.date(2025, 12, 31))  # last month
    assert services.choose_kind(TODAY) == "monthly"
    made(directory, "monthly", datetime.date(2026, 1, 2))  # this month, last week
    assert services.choose_kind(TODAY) == "weekly"
    made(directory, "weekly", datetime.date(2026, 1, 12), state=Backup.State.FAILED)  # a failed one does not count
    assert services.choose_kind(TODAY) == "weekly"
    made(directory, "weekly", datetime.date(2026, 1, 12))  # Monday
    assert services.choose_kind(TODAY) == "daily"
