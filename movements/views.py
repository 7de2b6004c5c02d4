from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from audit.services import record as audit
from common.errors import ServiceError
from orgs.services import unit_choices
from people import services as people
from people.models import Person

from . import arrivals, services
from .forms import ArrivalDecisionForm, ArrivalForm, RecordFileForm, TransferForm
from .models import Arrival


@login_required
def transfer_page(request, pk):
    """Record a transfer decision for a person (R-8.1, R-8.2), and see their earlier ones."""
    person = get_object_or_404(Person, pk=pk)
    today = timezone.localdate()
    targets = services.transfer_targets(request.user, person.unit_id, today)
    if not targets:
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    units = unit_choices(authz.Scope(frozenset(targets)), today)
    form = TransferForm(request.POST or None, request.FILES or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = services.transfer(request.user, person, to_unit_id=int(data["to_unit"]), decision_number=data["decision_number"],
                                          decision_date=data["decision_date"], effective_on=data["effective_on"], upload=data["file"],
                                          position=data["position"], request=request)
                messages.success(request, _("Transfer recorded: applied.") if moved.state == moved.State.APPLIED
                                 else _("Transfer recorded: it applies on its effective date."))
                return redirect("people:detail", person.pk) if people.can_view(request.user, person) else redirect(request.path)
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    transfers = person.transfers.select_related("from_unit", "to_unit", "document")
    return render(request, "movements/transfer.html", {"person": person, "form": form, "transfers": transfers}, status=status)


@login_required
def arrival_list(request):
    """Arrivals into the units the user keeps or decides for, open ones first (R-8.3, R-8.4)."""
    if not arrivals.may_see_any(request.user):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    found = arrivals.visible(request.user).order_by("state", "-requested_at")
    can_request = authz.can(request.user, "people.edit")
    today = timezone.localdate()
    shown = list(found[:500])
    steps = arrivals.steps_of(shown)
    rows = [{"arrival": arrival, "next": next((step for step in steps[arrival.pk] if step.done is None), None)} for arrival in shown]
    for row in rows:
        row["late"] = row["next"] is not None and row["next"].state(today) == "overdue"
    return render(request, "movements/arrivals.html", {"rows": rows, "can_request": can_request, "today": today})


@login_required
def arrival_new(request):
    """The receiving unit's written request to Sở Nội vụ to bring a record in."""
    today = timezone.localdate()
    units = unit_choices(authz.scope(request.user, "people.edit"), today)
    if not units:
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    form = ArrivalForm(request.POST or None, request.FILES or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                arrival = arrivals.request_arrival(request.user, to_unit_id=int(data.pop("to_unit")), upload=data.pop("file"), request=request,
                                                   **data)
                messages.success(request, _("Request sent to Sở Nội vụ."))
                return redirect("movements:arrival", arrival.pk)
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    return render(request, "movements/arrival_new.html", {"form": form}, status=status)


def _visible_arrival(request, pk) -> Arrival:
    arrival = get_object_or_404(Arrival.objects.select_related("to_unit", "person", "document"), pk=pk)
    if not arrivals.can_view(request.user, arrival):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return arrival


@login_required
def arrival_detail(request, pk):
    """An arrival: the request, Sở Nội vụ's decision, bringing the record in, and every step's deadline."""
    arrival = _visible_arrival(request, pk)
    decides = authz.can(request.user, "arrivals.decide", arrival.to_unit_id)
    decision_form = ArrivalDecisionForm(request.POST if request.POST.get("action") == "decide" else None)
    file_form = RecordFileForm(request.POST if request.POST.get("action") == "bring_in" else None, request.FILES or None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "decide" and decision_form.is_valid():
                approve = decision_form.cleaned_data["decision"] == "approve"
                arrival = arrivals.decide(request.user, arrival, approve=approve, reason=decision_form.cleaned_data["reason"], request=request)
                messages.success(request, arrival.get_state_display())
                return redirect("movements:arrival", arrival.pk)
            if request.POST.get("action") == "bring_in" and file_form.is_valid():
                arrival = arrivals.bring_in(request.user, arrival, upload=file_form.cleaned_data["file"], request=request)
                messages.success(request, arrival.get_state_display())
                return redirect("movements:arrival", arrival.pk)
        except ServiceError as exc:
            exc.add_to_form(file_form if request.POST.get("action") == "bring_in" else decision_form)
        status = 400
    today = timezone.localdate()
    steps = [{"step": step, "state": step.state(today), "due": arrivals.describe_due(step, today)} for step in arrivals.steps(arrival)]
    return render(request, "movements/arrival.html", {
        "arrival": arrival, "steps": steps, "decides": decides, "decision_form": decision_form, "file_form": file_form,
        "needs_file": arrival.state == Arrival.State.APPROVED, "can_view_person": arrival.person and people.can_view(request.user, arrival.person),
    }, status=status)


@login_required
def arrival_document(request, pk):
    """The scanned written request of an arrival, to those who may see the arrival."""
    arrival = _visible_arrival(request, pk)
    audit(request.user, "movements.arrival_document", obj=arrival, unit_id=arrival.to_unit_id, request=request)
    response = HttpResponse(people.document_bytes(arrival.document), content_type=arrival.document.content_type)
    response["Content-Disposition"] = "inline"
    return response
