import datetime

from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult


@task()
def send_packets() -> dict:
    """The worker sends what is due, then comes back when the earliest retry is due."""
    from . import services

    try:
        return services.send_all()
    finally:
        upcoming = services.next_due()
        if upcoming is not None:
            wake_sender(at=upcoming)


@task()
def reconcile(reconciliation_id: int) -> int:
    from . import services
    from .models import Reconciliation

    return services.run_reconciliation(Reconciliation.objects.get(pk=reconciliation_id))


def wake_sender(at: datetime.datetime | None = None) -> bool:
    """Have the worker run the sender (at `at`, or now) unless a run is already waiting for it by then."""
    at = max(at or timezone.now(), timezone.now())
    if isinstance(task_backends[send_packets.backend], DatabaseBackend):
        waiting = DBTaskResult.objects.filter(task_path=send_packets.module_path, status=TaskResultStatus.READY)
        if waiting.filter(run_after__lte=at).exists() or waiting.filter(run_after__isnull=True).exists():
            return False
    send_packets.using(run_after=at).enqueue()
    return True
