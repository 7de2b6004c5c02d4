import datetime

from django.utils import timezone
from django_tasks import task

from common.jobs import enqueue_once

DAILY_AT = datetime.time(1, 0)  # local time


def next_run(now: datetime.datetime | None = None) -> datetime.datetime:
    now = timezone.localtime(now)
    start = timezone.make_aware(datetime.datetime.combine(now.date(), DAILY_AT))
    return start if start > now else start + datetime.timedelta(days=1)


@task()
def daily() -> dict:
    """Every night: recompute the obligations from the data, send the day's reminders, sign the audit log's checkpoint, and
    come back tomorrow."""
    from audit.chain import checkpoint
    from reports.exports import expire_exports

    from .dashboards import take_snapshot
    from .quality import run_checks
    from .reminders import send_reminders
    from .services import refresh

    try:
        return {**refresh(), "units": take_snapshot(), "reminders": send_reminders(), **run_checks(), "exports_expired": expire_exports(),
                "audit_checkpoint": getattr(checkpoint(), "chain_index", None)}
    finally:
        schedule_daily(force=True)  # a failed night still comes back tomorrow


def schedule_daily(force: bool = False) -> bool:
    """Have the worker run `daily` at the next DAILY_AT, unless a run is already waiting."""
    return enqueue_once(daily, next_run(), force=force)
