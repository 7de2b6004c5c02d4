"""The worker's backup jobs: the nightly backup with its verification and the retention policy (scheduled like the
compliance run: each run schedules the next), and the operators' "back up now" and "verify"."""

import datetime

from django.utils import timezone
from django_tasks import task

from common.jobs import enqueue_once, waiting_run

NIGHTLY_AT = datetime.time(2, 0)  # local time, after the compliance run at 01:00


def next_run(now: datetime.datetime | None = None) -> datetime.datetime:
    now = timezone.localtime(now)
    start = timezone.make_aware(datetime.datetime.combine(now.date(), NIGHTLY_AT))
    return start if start > now else start + datetime.timedelta(days=1)


@task()
def nightly() -> dict:
    """Every night: back up, verify the backup by restoring it into a scratch database, prune; and come back tomorrow."""
    from . import services

    try:
        return services.nightly()
    finally:
        schedule_nightly(force=True)  # a failed night still comes back tomorrow


def schedule_nightly(force: bool = False) -> bool:
    """Have the worker run `nightly` at the next NIGHTLY_AT, unless a run is already waiting."""
    return enqueue_once(nightly, next_run(), force=force)


def waiting_nightly() -> datetime.datetime | None:
    """When the waiting nightly run is due, if the backend can tell."""
    return waiting_run(nightly)


@task()
def run_backup(backup_id: int) -> str:
    from . import services
    from .models import Backup

    backup = Backup.objects.select_related("requested_by").get(pk=backup_id)
    if backup.state != Backup.State.QUEUED:  # already made, or being made by another worker
        return backup.state
    return services.run_queued(backup).state


@task()
def run_verification(backup_id: int, actor_id: int | None = None) -> bool:
    from accounts.models import User
    from common.errors import ServiceError

    from . import services
    from .models import Backup

    backup = Backup.objects.get(pk=backup_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return services.verify_backup(services.backup_path(backup), actor=actor).ok
    except ServiceError:  # its file was pruned meanwhile
        Backup.objects.filter(pk=backup_id).update(verification_requested_at=None)
        return False
