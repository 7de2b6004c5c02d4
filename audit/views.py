"""The auditors' pages (R-4.2, R-16.5): the audit log, searched by person, user, unit, action and time, and the state of
its hash chain. Nothing here changes the log."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from accounts import authz
from orgs.services import unit_choices

from . import services
from .forms import EventFilter
from .models import AuditCheckpoint, AuditEvent


@login_required
def log_page(request):
    authz.require(request.user, "audit.view")
    form = EventFilter(request.GET or None, units=unit_choices(authz.scope(request.user, "audit.view"), timezone.localdate()))
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"person_id": data["person"], "username": data["user"], "unit_id": data["unit"], "action": data["action"],
                   "since": data["since"], "until": data["until"]}
    events = services.search_events(request.user, **filters, request=request) if form.is_valid() or not request.GET else AuditEvent.objects.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {
        "form": form, "page": page, "query": query.urlencode(), "checkpoints": AuditCheckpoint.objects.all()[:5],
        "unsealed": AuditEvent.objects.filter(chain_index__isnull=True).count()},
        status=400 if request.GET and not form.is_valid() else 200)
