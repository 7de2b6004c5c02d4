from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import authz
from common.errors import ServiceError
from orgs.services import versions_on

from . import charts as charts_svg
from . import dashboards, services
from .forms import FindingFilter, ObligationFilter, OverrideForm
from .models import CalendarOverride, Reminder
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
    year = min(max(int(year), 2000), 2100) if year.isdigit() else timezone.localdate().year
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
        "can_refresh": authz.can(request.user, "compliance.manage")})


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
