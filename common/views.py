"""Health, metrics and the error page (R-18.3)."""

import ipaddress

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from audit.services import client_ip

from .observability import readiness, refresh_gauges


@never_cache
def live(request):
    """The process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
def ready(request):
    """The database answers and a worker takes the jobs that are due; 503 with what is wrong otherwise."""
    problems = readiness()
    return JsonResponse({"status": "ready" if not problems else "not ready", "problems": problems}, status=503 if problems else 200)


def _allowed(request) -> bool:
    address = client_ip(request)
    try:
        return any(ipaddress.ip_address(address) in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS)
    except ValueError:
        return False


@never_cache
def metrics(request):
    """Prometheus metrics, for the monitoring server's addresses only (METRICS_ALLOWED_NETWORKS)."""
    if not _allowed(request):
        return HttpResponseForbidden("metrics: not from this address")
    refresh_gauges()
    registry = REGISTRY
    if settings.PROMETHEUS_MULTIPROC_DIR:  # gunicorn's workers: one registry over their files
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def server_error(request):
    """The error page: no detail of the failure, an incident code the user can report (the request ID of the log lines)."""
    incident = getattr(request, "request_id", "-")
    return HttpResponse(loader.render_to_string("500.html", {"incident": incident}, request), status=500)
