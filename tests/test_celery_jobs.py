"""Background jobs on Celery with RabbitMQ instead of the database, by configuration alone (TASKS_BACKEND=celery): the real jobs
go through the broker at CELERY_BROKER_URL (127.0.0.1:5672 by default) to a real Celery worker, run in a thread of the test
process on this run's own queue, so parallel runs and leftover messages do not meet.

Without a broker the tests are skipped; with CELERY_TESTS_REQUIRED=1 or CI set (`.ci/run` sets the first) they fail instead.
Each waits for its job's end as the worker reports it (django_tasks' task_finished), then reads the job's own model."""

import contextlib
import datetime
import os
import queue
import threading
import time
import uuid

import pytest
from celery.signals import task_postrun, task_prerun
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task_backends
from django_tasks.signals import task_finished

from backups.models import Backup
from backups.tasks import next_run as nightly_at
from backups.tasks import schedule_nightly, waiting_nightly
from common import celery_tasks
from common.observability import readiness
from compliance import tasks as compliance_tasks
from config.celery import app
from exchange.models import Packet
from imports import services as imports
from imports.models import ImportJob
from orgs import services as orgs
from orgs.models import ReorgPlan
from orgs.tasks import apply_scheduled_plan
from reports import exports
from reports.models import ExportJob
from reports.tasks import write_export
from tests.backups.conftest import KEY
from tests.conftest import open_version
from tests.exchange.conftest import national, sign_all, signer, staff  # noqa: F401 - the fixtures
from tests.imports.conftest import fill, officer, records, xlsx  # noqa: F401 - the fixture
from tests.reports.conftest import make_person

pytestmark = pytest.mark.django_db(transaction=True)

REQUIRED = bool(os.environ.get("CELERY_TESTS_REQUIRED") or os.environ.get("CI"))
RUN = f"cbccvc-test-{uuid.uuid4().hex[:12]}-"
WORKED, IDLE = RUN + "w-", RUN + "idle-"  # the worker consumes the first prefix's queues; nobody the second's
WAIT = 30


@pytest.fixture(scope="module")
def worker():
    """A Celery worker (solo pool) in a thread, consuming this run's queue `default`; the run's queues gone afterwards."""
    try:
        with app.connection_for_write(connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=0)
    except Exception as exc:  # noqa: BLE001 - whatever keeps the broker away
        reason = f"no RabbitMQ broker at {app.conf.broker_url.split('@')[-1]}: {exc}"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    from celery.contrib.testing.worker import start_worker

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CELERY_SKIP_CHECKS", "1")  # Django's system checks, which pytest-django's setup has no need of
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[WORKED + "default"], shutdown_timeout=30) as running:
            running.timer.call_repeatedly(0.5, lambda: None)  # its loop wakes this often (else up to 10 s) and sees the stop soon
            yield running
    with app.connection_for_write() as connection:
        for name in (WORKED + "default", IDLE + "default"):  # Celery names each queue's exchange after it
            connection.default_channel.queue_delete(name)
            connection.default_channel.exchange_delete(name)


class Finished:
    """The jobs the worker has ended, as it reports them.

    SQLite's test database lives in this process's memory, where a write that meets another connection's lock fails at once
    instead of waiting for it: there the worker runs its jobs while the test waits for them, never while the test acts."""

    def __init__(self):
        self.results = queue.Queue()
        self.turn = threading.Lock() if connection.vendor == "sqlite" else None

    def ended(self, sender, task_result, **kwargs):
        self.results.put(task_result)

    def take_turn(self, **kwargs):
        self.turn.acquire()

    def give_turn(self, **kwargs):
        self.turn.release()

    @contextlib.contextmanager
    def connected(self):
        task_finished.connect(self.ended, weak=False)
        if self.turn:
            self.turn.acquire()
            task_prerun.connect(self.take_turn, weak=False)
            task_postrun.connect(self.give_turn, weak=False)
        try:
            yield self
        finally:
            task_finished.disconnect(self.ended)
            if self.turn:
                task_prerun.disconnect(self.take_turn)
                task_postrun.disconnect(self.give_turn)
                self.turn.release()

    def wait(self, task, count: int = 1) -> list:
        """The next `count` ends of runs of `task`, each successful, within WAIT seconds."""
        found, deadline = [], time.monotonic() + WAIT
        if self.turn:
            self.turn.release()
        try:
            while len(found) < count:
                try:
                    result = self.results.get(timeout=max(deadline - time.monotonic(), 0.01))
                except queue.Empty:
                    pytest.fail(f"{task.module_path}: {len(found)} of {count} runs ended within {WAIT} s")
                if result.task.module_path == task.module_path:
                    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors[0].traceback
                    found.append(result)
        finally:
            if self.turn:
                self.turn.acquire()
        return found


def use_celery(settings, prefix: str) -> None:
    settings.TASKS = {"default": {"BACKEND": "common.celery_tasks.CeleryBackend", "OPTIONS": {"queue_prefix": prefix}}}


@pytest.fixture
def finished(worker, settings, tmp_path):
    """The jobs on Celery (TASKS_BACKEND=celery), files in a directory of the test's own, no note left by another test."""
    use_celery(settings, WORKED)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    cache.clear()
    with Finished().connected() as ended:
        yield ended
    cache.clear()


def test_a_large_people_export_is_written_by_a_celery_worker_and_downloadable_R_3_13(finished, hr, monkeypatch):
    for i in range(3):
        make_person("000.00.01.H19", f"07519000010{i}", name=f"Trần Thị Lan {i}")
    monkeypatch.setattr(exports, "SYNC_ROWS", 2)  # over it, the list goes to the worker
    job = exports.request_export(hr, params={}, format="csv")
    assert job.state == ExportJob.State.QUEUED
    finished.wait(write_export)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.done == 3
    with default_storage.open(job.storage_name, "rb") as handle:
        assert "Trần Thị Lan 2" in handle.read().decode("utf-8-sig")


def test_an_import_dry_run_is_checked_by_a_celery_worker_R_9_1(finished, officer):  # noqa: F811
    from imports.tasks import validate_import
    from people.models import Person

    job = imports.start_import(officer, xlsx(fill(records(2))), dry_run=True)
    finished.wait(validate_import)
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALID and not Person.objects.exists()


def test_back_up_now_is_made_and_verified_by_a_celery_worker_R_10_1_R_13_2(finished, admin_user, settings, tmp_path):
    from backups import services
    from backups.tasks import run_backup

    settings.BACKUP_DIR, settings.BACKUP_KEY = tmp_path / "backups", KEY
    queued = services.start_backup(admin_user, "weekly")
    finished.wait(run_backup)
    backup = Backup.objects.get(pk=queued.pk)
    assert backup.state == "done" and backup.verification == "ok" and services.backup_path(backup).exists()


def test_approved_records_reach_the_national_database_through_a_celery_worker_R_11_1(finished, head, signer, admin_user, national):  # noqa: F811
    from exchange.tasks import send_packets

    staff(2, admin_user)
    sign_all(head, signer)  # the outbox wakes the sender when the approval commits
    finished.wait(send_packets)
    assert set(Packet.objects.values_list("state", flat=True)) == {Packet.State.ACKNOWLEDGED} and national.store.count() == 2


def test_a_plan_deferred_to_later_is_applied_at_its_time_not_before_even_past_the_brokers_hold_R_3_9(finished, admin_user, monkeypatch):
    monkeypatch.setattr(celery_tasks, "HOLD", datetime.timedelta(seconds=1))  # the worker holds it a second, then sends it on
    plan = orgs.create_plan(title="later", effective_date=datetime.date.today(), user=admin_user,
                            steps=[{"operation": "update", "params": {"unit": "000.00.01.H19", "short_name": "STC"}}])
    ReorgPlan.objects.filter(pk=plan.pk).update(status=ReorgPlan.Status.SCHEDULED)
    due = timezone.now() + datetime.timedelta(seconds=2.5)
    apply_scheduled_plan.using(run_after=due).enqueue(plan.pk)  # as orgs.services.schedule_plan does, for its effective date
    time.sleep(1.5)
    assert ReorgPlan.objects.get(pk=plan.pk).status == ReorgPlan.Status.SCHEDULED
    [run] = finished.wait(apply_scheduled_plan)
    assert run.started_at >= due
    assert ReorgPlan.objects.get(pk=plan.pk).status == ReorgPlan.Status.APPLIED and open_version("000.00.01.H19").short_name == "STC"


def test_the_nightly_runs_asked_for_again_and_again_wait_once_and_twins_merge_R_6_3_R_10_1(finished, worker, settings, monkeypatch,
                                                                                              capsys):
    use_celery(settings, IDLE)  # a queue no worker takes from: the broker counts what was sent
    assert compliance_tasks.schedule_daily() and not compliance_tasks.schedule_daily()
    call_command("compliance_daily", "--schedule")
    assert schedule_nightly() and not schedule_nightly()
    call_command("backup", "--schedule")
    assert capsys.readouterr().out.count("already waiting") == 2
    assert waiting_nightly() == nightly_at()
    assert task_backends["default"].broker_queues() == {"default": (2, 0)}  # one message each, no worker

    # Should the note be lost while a run waits, asking again makes a twin; the twins leave one successor between them.
    use_celery(settings, WORKED)
    cache.clear()
    soon, later = timezone.now() + datetime.timedelta(seconds=1), timezone.now() + datetime.timedelta(hours=1)
    slots = iter([soon, soon])  # then each run's successor is due later
    monkeypatch.setattr(compliance_tasks, "next_run", lambda now=None: next(slots, later))
    assert compliance_tasks.schedule_daily()
    cache.clear()  # the note lost
    assert compliance_tasks.schedule_daily()
    finished.wait(compliance_tasks.daily, count=2)
    scheduled = app.control.inspect(destination=[worker.hostname], timeout=2).scheduled() or {}
    successors = [entry for entries in scheduled.values() for entry in entries
                  if entry["request"]["kwargs"]["path"] == compliance_tasks.daily.module_path]
    assert len(successors) == 1 and successors[0]["request"]["kwargs"]["run_after"] == later.isoformat()


@pytest.mark.django_db  # no job runs: the database need not be emptied afterwards
def test_readiness_on_celery_asks_the_broker_whether_a_worker_takes_each_queue_R_18_3(finished, settings):
    assert readiness() == {}
    use_celery(settings, IDLE)
    assert readiness() == {"worker": "no worker consumes the queue default"}
