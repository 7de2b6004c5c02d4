import datetime

from django_tasks import task

from common.jobs import enqueue_once


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
    return enqueue_once(send_packets, at)
