"""Pages of the national sync (R-11.1, R-13.2, R-18.4): where each unit's records stand, the outbox with its stopped
packets, reconciliations with their differences, and the operators' actions."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import authz
from common.errors import ServiceError
from common.text import as_id
from movements.models import Arrival
from orgs.services import unit_choices, versions_on

from . import adapters, services
from .forms import PacketFilter
from .models import Packet, Reconciliation

STATES = [*Packet.State.choices, (services.NOT_QUEUED, _("not queued"))]


def _viewer(request):
    authz.require(request.user, "exchange.view")


@login_required
def status_page(request):
    """Totals by state and a row per unit in the user's scope."""
    _viewer(request)
    status = services.unit_status(request.user)
    names = dict(versions_on(timezone.localdate()).filter(unit_id__in=status["units"]).values_list("unit_id", "name"))
    labels = dict(STATES)
    rows = sorted(({"unit_id": unit_id, "name": names.get(unit_id, unit_id), "counts": [counts.get(state, 0) for state, _label in STATES]}
                   for unit_id, counts in status["units"].items()), key=lambda row: str(row["name"]))
    return render(request, "exchange/status.html", {
        "totals": [(state, labels[state], status["totals"].get(state, 0)) for state, _label in STATES], "states": STATES, "rows": rows,
        "configured": adapters.configured(), "url": settings.EXCHANGE_URL, "agency_code": settings.EXCHANGE_AGENCY_CODE,
        "service_code": settings.EXCHANGE_SERVICE_CODE, "can_operate": authz.can(request.user, "exchange.operate"),
        "reconciliations": Reconciliation.objects.select_related("started_by")[:5]})


@login_required
def packet_list(request):
    _viewer(request)
    form = PacketFilter(request.GET or None, units=unit_choices(authz.scope(request.user, "exchange.view"), timezone.localdate()))
    state, unit_id = "", None
    if form.is_valid():
        state, unit_id = form.cleaned_data["state"], form.cleaned_data["unit"]
    page = Paginator(services.visible_packets(request.user, state=state, unit_id=unit_id), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "exchange/packets.html", {"form": form, "page": page, "query": query.urlencode(),
                                                    "can_operate": authz.can(request.user, "exchange.operate")},
                  status=400 if request.GET and not form.is_valid() else 200)


def _operate(request, action, success, back: str = "exchange:status", *args):
    """Run an operator's action from a POST, with its outcome as a message."""
    try:
        count = action()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success % {"count": count})
    return redirect(back, *args)


def _packet_ids(request) -> list[int]:
    return [pk for value in request.POST.getlist("packets") if (pk := as_id(value)) is not None]


@login_required
@require_POST
def resend(request):
    services.require_operator(request.user, "exchange.resend", request)
    ids = _packet_ids(request)
    if not ids:
        messages.error(request, _("Packets: choose at least one packet to send again."))
        return redirect("exchange:packets")
    return _operate(request, lambda: services.resend(request.user, ids, request=request), _("%(count)s packets will be sent again."),
                    "exchange:packets")


@login_required
@require_POST
def send_now(request):
    return _operate(request, lambda: services.wake_now(request.user, request=request), _("The sender will run now (%(count)s packets due)."))


@login_required
@require_POST
def queue_unsent(request):
    return _operate(request, lambda: services.queue_unsent(request.user, request=request),
                    _("%(count)s signed versions that had no packet are queued."))


@login_required
@require_POST
def reconcile(request):
    try:
        reconciliation = services.start_reconciliation(request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("exchange:status")
    messages.success(request, _("The reconciliation runs in the background; this page shows its result when it ends."))
    return redirect("exchange:reconciliation", reconciliation.pk)


@login_required
def reconciliation_page(request, pk):
    _viewer(request)
    reconciliation = get_object_or_404(Reconciliation, pk=pk)
    differences = services.visible_differences(request.user, reconciliation)
    page = Paginator(differences, 100).get_page(request.GET.get("page"))
    names = dict(versions_on(timezone.localdate()).filter(unit_id__in={d.unit_id for d in page}).values_list("unit_id", "name"))
    for difference in page:
        difference.unit_name = names.get(difference.unit_id, "")
    return render(request, "exchange/reconciliation.html", {
        "reconciliation": reconciliation, "page": page, "total": differences.count(),
        "can_operate": authz.can(request.user, "exchange.operate")})


@login_required
@require_POST
def reconciliation_resend(request, pk):
    services.require_operator(request.user, "exchange.resend", request)
    reconciliation = get_object_or_404(Reconciliation, pk=pk)
    chosen = [pk for v in request.POST.getlist("differences") if (pk := as_id(v)) is not None] if request.POST.get("chosen") else None
    if chosen == []:
        messages.error(request, _("Differences: choose at least one record to send again."))
        return redirect("exchange:reconciliation", pk)
    return _operate(request, lambda: services.resend_differences(request.user, reconciliation, chosen, request=request),
                    _("%(count)s packets will be sent again."), "exchange:reconciliation", pk)


@login_required
@require_POST
def fetch_arrival(request, pk):
    """Sở Nội vụ brings an approved arrival's record from the national database (R-8.3a)."""
    arrival = get_object_or_404(Arrival, pk=pk)
    if not authz.can(request.user, "arrivals.decide", arrival.to_unit_id):
        raise PermissionDenied(_("Only Sở Nội vụ brings records in from the national database."))
    try:
        services.fetch_for_arrival(request.user, arrival, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The record was brought in from the national database; the person checks it next."))
    return redirect("movements:arrival", pk)
