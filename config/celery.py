"""The Celery application that runs the background jobs when TASKS_BACKEND=celery (common/celery_tasks.py). The worker:
`celery -A config worker -Q default`; the broker is CELERY_BROKER_URL (RabbitMQ)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Celery's Django integration calls django.setup() in the worker before it imports common.celery_tasks.
app = Celery("cbccvc", include=["common.celery_tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # Jobs run for minutes (exports, imports, backups): a worker takes one message at a time and acknowledges it when the job
    # has ended, so a job whose worker died is run again by another one instead of being lost. RabbitMQ closes the channel of
    # a message unacknowledged longer than its consumer_timeout (30 minutes by default): set it above the longest job.
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_reject_on_worker_lost=True,
    # No result backend: each job keeps its outcome in its own model (ExportJob, ImportJob, Backup...).
    task_ignore_result=True,
    task_default_queue="default",  # django_tasks' queue name, so a worker started without -Q consumes it too
    worker_hijack_root_logger=False,  # the worker logs as the application does (LOG_FORMAT, request IDs)
    broker_connection_retry_on_startup=True,
)
