from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.errors import ServiceError
from orgs.services import fmt_date, unit_by_code

from . import services
from .forms import AnswerForm, CloseForm, InspectionFilter, InspectionForm


def _require_any(user) -> None:
    if not services.may_see_any(user):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))


@login_required
@require_GET
def inspection_list(request):
    """Inspections of the units in the user's scope, the overdue answers marked (R-14.4, R-16.5)."""
    _require_any(request.user)
    today = timezone.localdate()
    form = InspectionFilter(request.GET or None)
    rows, error = services.visible(request.user), None
    if form.is_valid():
        try:
            rows = services.filtered(request.user, today=today, **form.cleaned_data)
        except ServiceError as exc:
            error = exc.message
    rows = list(rows[:300])
    return render(request, "inspections/list.html", {
        "form": form, "error": error, "today": today, "can_record": services.may_record(request.user),
        "rows": [{"inspection": i, "overdue": i.is_overdue(today), "measures": len(i.measures.all()),
                  "done": sum(1 for m in i.measures.all() if m.done_on)} for i in rows]})


@login_required
def inspection_new(request):
    """Record an inspection of a unit in one's scope: findings and the measures proposed."""
    services.require_recorder(request.user, request=request)
    form = InspectionForm(request.POST or None, initial={"inspected_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = unit_by_code(data["unit"])
                inspection = services.record_inspection(request.user, unit_id=unit.pk, person_id=data["person"], area=data["area"],
                                                        inspected_on=data["inspected_on"], findings=data["findings"],
                                                        measures=data["measures"], request=request)
                messages.success(request, _("Inspection recorded; the unit is asked to answer by %(day)s.")
                                 % {"day": fmt_date(inspection.answer_due_on)})
                return redirect("inspections:detail", inspection.pk)
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    return render(request, "inspections/new.html", {"form": form}, status=status)


def _detail_page(request, inspection, answer_form=None, close_form=None, status=200):
    user = request.user
    can_answer = services.may_answer(user, inspection) and inspection.state != inspection.State.CLOSED
    can_close = services.may_record(user, inspection.unit_id) and inspection.state != inspection.State.CLOSED
    return render(request, "inspections/detail.html", {
        "inspection": inspection, "person_name": services.read(user, inspection, request=request),
        "measures": list(inspection.measures.all()), "answers": list(inspection.answers.select_related("author")),
        "overdue": inspection.is_overdue(),
        "answer_form": (answer_form or AnswerForm(inspection=inspection)) if can_answer else None,
        "close_form": (close_form or CloseForm()) if can_close else None}, status=status)


@login_required
@require_GET
def inspection_detail(request, pk):
    return _detail_page(request, services.get_visible(request.user, pk))


@login_required
@require_POST
def inspection_answer(request, pk):
    inspection = services.get_visible(request.user, pk)
    services.require_answerer(request.user, inspection, request)
    form = AnswerForm(request.POST, inspection=inspection)
    if form.is_valid():
        try:
            services.answer(request.user, inspection, text=form.cleaned_data["text"], measures_done=form.cleaned_data["measures_done"],
                            request=request)
            messages.success(request, _("Answer sent."))
            return redirect("inspections:detail", inspection.pk)
        except ServiceError as exc:
            exc.add_to_form(form)
    return _detail_page(request, inspection, answer_form=form, status=400)


@login_required
@require_POST
def inspection_close(request, pk):
    inspection = services.get_visible(request.user, pk)
    services.require_closer(request.user, inspection, request)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.close(request.user, inspection, conclusion=form.cleaned_data["conclusion"], request=request)
            messages.success(request, _("Inspection closed."))
            return redirect("inspections:detail", inspection.pk)
        except ServiceError as exc:
            exc.add_to_form(form)
    return _detail_page(request, inspection, close_form=form, status=400)
