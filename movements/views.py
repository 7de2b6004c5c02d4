from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from common.errors import ServiceError
from orgs.services import unit_choices
from people import services as people
from people.models import Person

from . import services
from .forms import TransferForm


@login_required
def transfer_page(request, pk):
    """Record a transfer decision for a person (R-8.1), and see their earlier ones."""
    person = get_object_or_404(Person, pk=pk)
    people.require_view(request.user, person, request)
    authz.require(request.user, "people.edit", person.unit_id)
    units = [choice for choice in unit_choices(authz.scope(request.user, "people.edit"), timezone.localdate()) if choice[0] != str(person.unit_id)]
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
                return redirect("people:detail", person.pk)
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    transfers = person.transfers.select_related("from_unit", "to_unit", "document")
    return render(request, "movements/transfer.html", {"person": person, "form": form, "transfers": transfers}, status=status)
