"""Observability (R-18.3): health endpoints, Prometheus metrics, request IDs in answers and log lines, JSON logs, and an
error page with an incident code."""

import datetime
import json
import logging

import pytest
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from common.observability import JsonFormatter, RequestIdFilter
from config.urls import urlpatterns
from exchange.tasks import send_packets


def _boom(request):
    logging.getLogger("cbccvc.test").info("about to fail")
    raise RuntimeError("the disk is full")


urlpatterns = [*urlpatterns, path("test-boom/", _boom)]
handler500 = "common.views.server_error"


def test_liveness_and_readiness_R_18_3(client, db):
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200
    send_packets.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=10))  # no worker has taken it
    stuck = client.get("/health/ready")
    assert stuck.status_code == 503 and "worker" in stuck.json()["problems"]


def test_metrics_count_requests_and_the_sync_backlog_for_the_monitoring_server_only_R_18_3(client, db, settings):
    client.get("/health/live")
    text = client.get("/metrics").content.decode()
    assert 'cbccvc_http_requests_total{method="GET",status="200",view="health_live"}' in text
    assert 'cbccvc_sync_backlog{state="pending"} 0.0' in text and "cbccvc_jobs_waiting" in text
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403


def test_every_answer_names_its_request_and_keeps_a_sane_given_id_R_18_3(client, db):
    assert len(client.get("/health/live")["X-Request-ID"]) == 16
    assert client.get("/health/live", HTTP_X_REQUEST_ID="proxy-1234abcd")["X-Request-ID"] == "proxy-1234abcd"
    assert client.get("/health/live", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_failure_shows_an_incident_code_found_in_the_log_R_18_3(db, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    answer = Client(raise_request_exception=False).get("/test-boom/", HTTP_X_REQUEST_ID="incident-0042")
    page = answer.content.decode()
    assert answer.status_code == 500 and "incident-0042" in page and "the disk is full" not in page
    assert "Sở Nội vụ" in page
    assert {record.request_id for record in caplog.records if record.name in {"cbccvc.test", "django.request"}} == {"incident-0042"}


def test_log_lines_are_json_with_the_request_id_R_18_3():
    record = logging.LogRecord("cbccvc", logging.ERROR, __file__, 1, "thất bại %s", ("lần 1",), None)
    record.request_id = "abc12345"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "thất bại lần 1" and line["request_id"] == "abc12345" and line["level"] == "ERROR"


@pytest.mark.parametrize("address", ["not an address", None])
def test_metrics_refuse_an_unreadable_address(rf, db, address):
    from common.views import metrics

    request = rf.get("/metrics", REMOTE_ADDR=address) if address else rf.get("/metrics")
    if address is None:
        del request.META["REMOTE_ADDR"]
    assert metrics(request).status_code == 403
