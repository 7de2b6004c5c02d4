"""Observability (R-18.3): a request ID on every request, its log lines and its answer; JSON log lines; Prometheus metrics of
the requests and of the work waiting (jobs, the national sync, failed signatures); liveness and readiness."""

import contextvars
import datetime
import json
import logging
import re
import time
import uuid

from django.db import connection
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram

REQUEST_ID = contextvars.ContextVar("request_id", default="-")
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

REQUESTS = Counter("cbccvc_http_requests", "HTTP requests answered", ["method", "view", "status"])
LATENCY = Histogram("cbccvc_http_request_seconds", "Time to answer an HTTP request", ["view"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
JOBS_WAITING = Gauge("cbccvc_jobs_waiting", "Background jobs due and not yet taken by a worker", multiprocess_mode="max")
SYNC_BACKLOG = Gauge("cbccvc_sync_backlog", "Packets to the national database by state", ["state"], multiprocess_mode="max")
FAILED_SIGNATURES = Gauge("cbccvc_failed_signatures_24h", "Refused approvals and signatures in the last 24 hours", multiprocess_mode="max")
# A worker counts as stuck when a job has been due this long without being taken.
WORKER_LAG = datetime.timedelta(minutes=5)


class RequestIdMiddleware:
    """X-Request-ID from the proxy when it is sane, else a new one; set for the log lines and sent back with the answer (the
    error page shows it as the incident code)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request.request_id)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        LATENCY.labels(view).observe(time.perf_counter() - start)
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request ID, message, and the exception when there is one."""

    def format(self, record):
        entry = {"time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "request_id": getattr(record, "request_id", "-"),
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _waiting_jobs(due_before: datetime.datetime):
    """Jobs of the database backend due before this moment and not taken yet."""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    return DBTaskResult.objects.ready().filter(Q(run_after=get_date_max(), enqueued_at__lte=due_before) | Q(run_after__lte=due_before))


def _celery_backend():
    """The jobs' backend when it is Celery's, whose broker counts the queues; None when the database's table tells."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, DatabaseBackend):
        return None
    from common.celery_tasks import CeleryBackend

    return backend if isinstance(backend, CeleryBackend) else None


def readiness() -> dict[str, str]:
    """What keeps the application from serving: the database, and a worker that no longer takes the jobs that are due (on
    Celery: the broker, and a queue that no worker consumes; the broker does not tell how long a message has waited)."""
    problems = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure of the database makes the application not ready
        return {"database": str(exc)[:300]}
    celery = _celery_backend()
    if celery is not None:
        try:
            queues = celery.broker_queues()
        except Exception as exc:  # noqa: BLE001 - an unreachable broker takes no job
            return {"broker": str(exc)[:300]}
        if idle := [name for name, (_waiting, workers) in queues.items() if not workers]:
            problems["worker"] = f"no worker consumes the queue {', '.join(idle)}"
        return problems
    late = _waiting_jobs(timezone.now() - WORKER_LAG).count()
    if late:
        problems["worker"] = f"{late} jobs due for over {int(WORKER_LAG.total_seconds() // 60)} minutes"
    return problems


def refresh_gauges() -> None:
    """The gauges read from the database at each scrape."""
    from django.db.models import Count

    from audit.models import AuditEvent
    from exchange.models import Packet

    now = timezone.now()
    celery = _celery_backend()
    if celery is None:
        JOBS_WAITING.set(_waiting_jobs(now).count())
    else:
        try:
            JOBS_WAITING.set(sum(waiting for waiting, _workers in celery.broker_queues().values()))
        except Exception:  # noqa: BLE001 - the other gauges are still worth the scrape
            JOBS_WAITING.set(float("nan"))
    counts = dict(Packet.objects.values_list("state").annotate(n=Count("pk")).order_by())
    for state, _label in Packet.State.choices:
        SYNC_BACKLOG.labels(state).set(counts.get(state, 0))
    FAILED_SIGNATURES.set(AuditEvent.objects.filter(action__startswith="approvals.", outcome="refused",
                                                     at__gte=now - datetime.timedelta(hours=24)).count())
