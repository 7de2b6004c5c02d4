"""Jobs that keep one run waiting: the nightly runs (compliance, backups) and the national sync's sender schedule themselves,
and asking again (`compliance_daily --schedule`, `backup --schedule`, each approval waking the sender) adds no second run.

The database backend's table shows what waits. Nothing can look into a Celery queue, so there a note in the cache holds when
the waiting run is due, from its enqueue until a worker starts it."""

import datetime

from django.core.cache import cache
from django.db.models import Case, F, Min, When
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

# A noted run overdue by more than this was lost with its message, or its workers are down: asking again schedules another,
# and should both run after all, the twins merge into one chain when they schedule their successor.
NOTE_GRACE = datetime.timedelta(hours=1)


def _note_key(task: Task) -> str:
    return f"jobs:waiting:{task.module_path}"


def _noted(task: Task) -> bool:
    from common.celery_tasks import CeleryBackend

    return isinstance(task.get_backend(), CeleryBackend)


def waiting_run(task: Task) -> datetime.datetime | None:
    """When the earliest waiting run of `task` is due, if the backend can tell."""
    if isinstance(task.get_backend(), DatabaseBackend):
        due = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))  # the maximum date: at once
        return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).aggregate(due=Min(due))["due"]
    return cache.get(_note_key(task)) if _noted(task) else None


def enqueue_once(task: Task, at: datetime.datetime | None = None, *, force: bool = False) -> bool:
    """Enqueue `task` to run at `at` (now by default) unless a run of it is already waiting, due by then. `force`: the run
    itself asks for its successor; the database's table never holds it twice, but a note is still checked, as it can only
    be a twin run's (the run's own note went when it started)."""
    now = timezone.now()
    at = max(at or now, now)
    if not (force and isinstance(task.get_backend(), DatabaseBackend)):
        due = waiting_run(task)
        if due is not None and due <= at:
            return False
    task.using(run_after=at).enqueue()
    if _noted(task):
        cache.set(_note_key(task), at, timeout=(at - now + NOTE_GRACE).total_seconds())
    return True


def run_started(task: Task) -> None:
    """A worker starts a run of `task` (common.celery_tasks): a note of a run due by now was this one's, or a lost one's."""
    due = cache.get(_note_key(task))
    if due is not None and due <= timezone.now():
        cache.delete(_note_key(task))
