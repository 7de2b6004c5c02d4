from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import authz
from common import charts as charts_svg
from common.dbrouter import replica_reads
from common.errors import ServiceError
from common.text import as_id
from exchange import services as exchange
from orgs.services import versions_on

from . import annual, dashboards, par, services
from .forms import AnnualReportForm, FindingFilter, ObligationFilter, OverrideForm, ParFilter, ParFormulaForm, ReportTextForm
from .models import AnnualReport, CalendarOverride, Reminder
from .reminders import describe
from .workdays import holidays_of


@login_required
def tasks(request):
    """What the user must do, soonest first, and the reminders they received (R-6.3 to R-8.4)."""
    today = timezone.localdate()
    mine = list(services.my_tasks(request.user)[:500])
    reminders = list(Reminder.objects.filter(user=request.user).select_related("obligation__person")[:50])
    rows = [{"obligation": o, "state": o.state(today)} for o in mine]
    return render(request, "compliance/tasks.html", {
        "rows": rows, "reminders": [{"reminder": r, "text": describe(r)} for r in reminders],
        "unread": sum(1 for r in reminders if r.read_at is None)})


@login_required
@require_POST
def reminders_read(request):
    Reminder.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("compliance:tasks")


@login_required
def obligations(request):
    """The obligations of the units in the user's scope: the unit sees its own, every body above sees those under it."""
    today = timezone.localdate()
    form = ObligationFilter(request.GET or None)
    found, error = services.scoped_obligations(request.user), None
    listed = found
    if form.is_valid():
        data = form.cleaned_data
        try:
            found = services.scoped_obligations(request.user, data["unit"], data["kind"])
        except ServiceError as exc:
            error = exc.message
        listed = services.filter_state(found, data["state"], today)
    return render(request, "compliance/obligations.html", {
        "form": form, "error": error, "summary": services.summary(found, today),
        "rows": [{"obligation": o, "state": o.state(today)} for o in listed[:300]],
        "can_refresh": authz.can(request.user, "compliance.manage")})


@login_required
@require_POST
def refresh(request):
    counts = services.recompute(request.user, request=request)
    messages.success(request, _("Obligations recomputed: %(created)s new, %(updated)s changed, %(dropped)s no longer due.") % counts)
    back = request.POST.get("next", "")
    return redirect(back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else "compliance:obligations")


def _calendar_page(request, year: int, form, status=200):
    manages = authz.can(request.user, "compliance.manage")
    return render(request, "compliance/calendar.html", {
        "year": year, "holidays": holidays_of(year), "overrides": CalendarOverride.objects.filter(day__year=year),
        "form": form if manages else None, "manages": manages, "years": [year - 1, year + 1]}, status=status)


@login_required
def calendar_page(request):
    """The year's public holidays by law, and the overrides Sở Nội vụ entered (day swaps, extra days off)."""
    if not authz.can(request.user, "org.view"):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    year = request.GET.get("year", "")
    year = timezone.localdate().year if (typed := as_id(year)) is None else min(max(typed, 2000), 2100)
    return _calendar_page(request, year, OverrideForm())


@login_required
@require_POST
def override_add(request):
    services.require_manager(request.user, "compliance.calendar", request)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.set_override(request.user, request=request, **form.cleaned_data)
            messages.success(request, _("The calendar is changed; deadlines running over that day were counted again."))
            return redirect(f"{reverse('compliance:calendar')}?year={form.cleaned_data['day'].year}")
        except ServiceError as exc:
            exc.add_to_form(form)
    day = form.cleaned_data.get("day")
    return _calendar_page(request, day.year if day else timezone.localdate().year, form, status=400)


@login_required
@require_POST
def override_remove(request, pk):
    services.require_manager(request.user, "compliance.calendar", request)  # before the lookup: others learn nothing
    override = get_object_or_404(CalendarOverride, pk=pk)
    try:
        services.remove_override(request.user, override, request=request)
        messages.success(request, _("Override removed."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('compliance:calendar')}?year={override.day.year}")


@login_required
@replica_reads()
def dashboard_page(request):
    """A unit's (by default the user's top unit's) dashboard: records, approvals, deadlines, and their months (R-4.6, R-15.3)."""
    error = None
    try:
        unit_id = dashboards.unit_for(request.user, request.GET.get("unit", ""))
    except ServiceError as exc:
        error, unit_id = exc.message, dashboards.unit_for(request.user, "")
    data = dashboards.dashboard(unit_id)
    version = versions_on(timezone.localdate()).filter(unit_id=unit_id).first()
    totals, rows = data["totals"], data["children"]
    months = [(f"{point['day']:%m/%y}", point["signed_share"]) for point in data["trend"]]
    charts = {
        "complete": charts_svg.bars(_("Complete records by sub-unit"), [(row["name"], row["complete_share"]) for row in rows]),
        "signed": charts_svg.bars(_("Records signed by sub-unit"), [(row["name"], row["signed_share"]) for row in rows]),
        "overdue": charts_svg.bars(_("Overdue obligations by sub-unit"), [(row["name"], row["obligations_overdue"]) for row in rows],
                                   suffix="", scale=None),
        "trend_signed": charts_svg.columns(_("Records signed, by month"), months),
        "trend_complete": charts_svg.columns(_("Complete records, by month"),
                                             [(f"{point['day']:%m/%y}", point["complete_share"]) for point in data["trend"]]),
    }
    return render(request, "compliance/dashboard.html", {
        "unit": version, "data": data, "totals": totals, "rows": rows, "charts": charts, "error": error,
        "parent": version.parent_id and authz.can(request.user, "reports.view", version.parent_id) and
        versions_on(timezone.localdate()).filter(unit_id=version.parent_id).first(),
        "can_refresh": authz.can(request.user, "compliance.manage"), "sync": exchange.sync_summary(request.user, unit_id)})


@login_required
def findings(request):
    """Data-quality findings of the units in the user's scope, each assigned to its unit until resolved (R-13.4, R-13.5)."""
    services.require_viewer(request.user)
    form = FindingFilter(request.GET or {"state": "open"})
    rows, error = [], None
    if form.is_valid():
        try:
            rows = list(services.filtered_findings(request.user, **form.cleaned_data)[:500])
        except ServiceError as exc:
            error = exc.message
    return render(request, "compliance/findings.html", {"form": form, "rows": rows, "error": error,
                                                        "can_run": authz.can(request.user, "compliance.manage")})


@login_required
@require_POST
def run_checks(request):
    counts = services.check_quality(request.user, request=request)
    messages.success(request, _("Checks run: %(opened)s findings opened, %(resolved)s resolved.") % counts)
    return redirect("compliance:findings")


def _par_page(request, formula_form=None, status=200):
    today = timezone.localdate()
    form = ParFilter(request.GET or None)
    year, unit, error, data = today.year, "", None, None
    if form.is_valid():
        year, unit = form.cleaned_data["year"] or today.year, form.cleaned_data["unit"]
    try:
        data = par.ranking(request.user, unit, year, today)
    except ServiceError as exc:
        error = exc.message
        data = par.ranking(request.user, "", today.year, today)
    manages = authz.can(request.user, "compliance.manage")
    if manages and formula_form is None:
        formula = par.formula_for(data["year"] if data["year"] >= today.year else today.year)
        formula_form = ParFormulaForm(initial={"year": formula.year, **formula.weights})
    rows = data["rows"]

    def cells(score):
        return score, [score.values[name] for name in par.CRITERIA]

    return render(request, "compliance/par.html", {
        "form": form, "error": error, "data": data, "rows": [cells(row) for row in rows], "total": cells(data["unit"]),
        "weights": [(par.LABELS[name], data["formula"].weights[name]) for name in par.CRITERIA],
        "formula_form": formula_form if manages else None, "years": range(today.year, par.FIRST_YEAR - 1, -1),
        "chart": charts_svg.bars(_("PAR score by unit"), [(row.name, row.score) for row in rows], suffix="")}, status=status)


@login_required
def par_page(request):
    """The year's PAR scores of the units under one, ranked, with the formula beside each score (R-15.4, R-16.3, R-19.2)."""
    return _par_page(request)


@login_required
@require_POST
def par_formula(request):
    services.require_manager(request.user, "compliance.par_formula", request)
    form = ParFormulaForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        year = data.pop("year")
        try:
            par.set_formula(request.user, year=year, weights=data, request=request)
            messages.success(request, _("The PAR formula of %(year)s is saved.") % {"year": year})
            return redirect(f"{reverse('compliance:par')}?year={year}")
        except ServiceError as exc:
            exc.add_to_form(form)
    return _par_page(request, form, status=400)


def _reports_page(request, form=None, status=200):
    found = list(annual.visible(request.user)[:300])
    writes = authz.can(request.user, "reports.submit")
    today = timezone.localdate()
    names = dict(versions_on(today).filter(unit_id__in=[r.unit_id for r in found]).values_list("unit_id", "name"))
    return render(request, "compliance/reports.html", {
        "rows": [(report, names.get(report.unit_id, "")) for report in found],
        "form": (form or AnnualReportForm(initial={"year": today.year if today.month == 12 else today.year - 1})) if writes else None},
        status=status)


@login_required
def reports(request):
    """The annual reports on database management of the units in the user's scope (R-15.6, R-16.7)."""
    return _reports_page(request)


@login_required
@require_POST
def report_create(request):
    if not authz.can(request.user, "reports.submit"):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    form = AnnualReportForm(request.POST)
    if form.is_valid():
        try:
            unit_id = dashboards.unit_for(request.user, form.cleaned_data["unit"])
            report = annual.prepare(request.user, unit_id=unit_id, year=form.cleaned_data["year"], request=request)
            messages.success(request, _("The report's figures are generated from the data."))
            return redirect("compliance:report", pk=report.pk)
        except ServiceError as exc:
            exc.add_to_form(form)
    return _reports_page(request, form, status=400)


def _report_page(request, report, form=None, status=200):
    today = timezone.localdate()
    writes = report.state == AnnualReport.State.DRAFT and authz.can(request.user, "reports.submit", report.unit_id)
    return render(request, "compliance/report.html", {
        "report": report, "f": report.figures, "writes": writes, "form": (form or ReportTextForm(instance=report)) if writes else None,
        "unit_name": versions_on(today).filter(unit_id=report.unit_id).values_list("name", flat=True).first(),
        "due_on": annual.due_on(report.year, report.to_ministry),
        "texts": [(AnnualReport._meta.get_field(name).verbose_name, getattr(report, name)) for name in AnnualReport.TEXTS]},
        status=status)


@login_required
def report(request, pk):
    return _report_page(request, annual.get_visible(request.user, pk))


@login_required
@require_POST
def report_edit(request, pk):
    found = annual.get_visible(request.user, pk)
    form = ReportTextForm(request.POST, instance=AnnualReport(unit_id=found.unit_id))
    if form.is_valid():
        try:
            annual.edit(request.user, found, texts=form.cleaned_data, request=request)
            if "submit" in request.POST:
                annual.submit(request.user, AnnualReport.objects.get(pk=pk), request=request)
                messages.success(request, _("The report is submitted."))
            else:
                messages.success(request, _("The report is saved."))
            return redirect("compliance:report", pk=pk)
        except ServiceError as exc:
            exc.add_to_form(form)
    return _report_page(request, AnnualReport.objects.get(pk=pk), form, status=400)


@login_required
@require_POST
def report_regenerate(request, pk):
    found = annual.get_visible(request.user, pk)
    try:
        annual.prepare(request.user, unit_id=found.unit_id, year=found.year, request=request)
        messages.success(request, _("The report's figures are generated from the data."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("compliance:report", pk=pk)


@login_required
def report_download(request, pk, fmt):
    data, content_type, name = annual.export(request.user, annual.get_visible(request.user, pk), fmt, request=request)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
