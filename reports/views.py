import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import authz
from audit.services import record as audit
from common.dbrouter import replica_reads
from common.errors import ServiceError
from orgs.services import unit_choices
from people.forms import SearchForm
from people.services import FILTER_FIELDS, search_clearance

from . import services, staffing, standard_forms, statistics
from .form_sheets import report_pdf, report_xlsx
from .forms import DimensionsForm, SavedSearchForm, StaffingForm, StandardFormForm
from .models import SavedSearch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_safe
@replica_reads()
def statistics_page(request):
    """Counts of the people the user may see by two dimensions, filtered like the people list, with drill-down and a chart."""
    authz.require(request.user, "reports.view")
    levels, default = authz.field_levels()
    cleared = search_clearance(request.user)
    hidden = [name for name, key in FILTER_FIELDS.items() if levels.get(key, default) > cleared]
    filters = SearchForm(request.GET or None, hidden=hidden)
    dimensions = DimensionsForm(request.GET or {"rows": "unit", "columns": "category"}, dimensions=statistics.allowed_dimensions(request.user))
    table, error, status = None, None, 200
    if dimensions.is_valid() and (filters.is_valid() or not request.GET):
        try:
            query = services.people_query(filters.cleaned_data if request.GET else {})
            table = statistics.aggregate(request.user, dimensions.cleaned_data["rows"], dimensions.cleaned_data["columns"], query)
        except ServiceError as exc:
            error, status = exc.message, 400
    elif request.GET:
        status = 400
    if table is not None and request.GET.get("format") in ("xlsx", "csv"):
        return _table_file(request, table, request.GET["format"])
    context = {"filters": filters, "dimensions": dimensions, "table": table, "error": error,
               "grid": services.grid_with_links(table, request.GET) if table else [],
               "chart": services.bar_chart(table) if table else "", "query_string": request.GET.urlencode(),
               "rows_label": statistics.DIMENSIONS[table.rows].label if table else "",
               "saved": SavedSearch.objects.filter(owner=request.user, kind="statistics"), "save_form": SavedSearchForm()}
    return render(request, "reports/statistics.html", context, status=status)


def _table_file(request, table: statistics.Table, fmt: str) -> HttpResponse:
    rows = services.table_rows(table)
    audit(request.user, "reports.export", details={"source": "statistics", "format": fmt, "rows": table.rows, "columns": table.columns,
                                                    "filters": request.GET.dict()}, request=request)
    name = f"thong-ke-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        return _file(("\ufeff" + text.getvalue()).encode(), name, "text/csv; charset=utf-8")
    return _file(services.rows_xlsx(rows, _("Statistics")), name, XLSX)


@login_required
@require_safe
@replica_reads()
def standard_form_page(request):
    """The Ministry's standard form for a unit subtree on a reference date: on screen, as XLSX in the official layout, as PDF."""
    authz.require(request.user, "reports.view")
    scope = authz.scope(request.user, "reports.view")
    form = StandardFormForm(request.GET or None, units=unit_choices(scope, timezone.localdate()))
    report, status = None, 200
    if request.GET and form.is_valid():
        data = form.cleaned_data
        try:
            report = standard_forms.build(request.user, data["form"], data["unit"], data["day"], request=request)
        except ServiceError as exc:
            exc.add_to_form(form)
            status = 400
    elif request.GET:
        status = 400
    if report is not None and request.GET.get("format") in ("xlsx", "pdf"):
        fmt = request.GET["format"]
        audit(request.user, "reports.export", unit_id=report.unit_id, details={"source": f"form:{report.form.code}", "format": fmt,
                                                                                "day": report.day.isoformat()}, request=request)
        name = f"{report.form.code}-{report.day:%Y%m%d}.{fmt}"
        return _file(report_xlsx(report), name, XLSX) if fmt == "xlsx" else _file(report_pdf(report), name, "application/pdf")
    keys = [c.key for c in report.form.criteria] if report else []
    return render(request, "reports/standard_form.html", {
        "form": form, "report": report, "query_string": request.GET.urlencode(),
        "rows": [{"label": row.label, "values": [report.value(row, key) for key in keys]} for row in report.rows] if report else [],
        "total": {"label": report.total.label, "values": [report.value(report.total, key) for key in keys]} if report else None,
        "can_sign": report is not None and authz.can(request.user, "reports.sign", report.unit_id)}, status=status)


@login_required
@require_safe
@replica_reads()
def staffing_page(request):
    """Quota (biên chế) against people in office by sub-unit and category, and job positions against their holders."""
    authz.require(request.user, "reports.view")
    scope = authz.scope(request.user, "reports.view")
    form = StaffingForm(request.GET or None, units=unit_choices(scope, timezone.localdate()))
    result, status = None, 200
    if request.GET and form.is_valid():
        try:
            result = staffing.staffing(request.user, form.cleaned_data["unit"], form.cleaned_data["year"], request=request)
        except ServiceError as exc:
            exc.add_to_form(form)
            status = 400
    elif request.GET:
        status = 400
    return render(request, "reports/staffing.html", {"form": form, "result": result,
                                                     "rows": services.staffing_rows(result) if result else []}, status=status)


@login_required
@require_POST
def saved_search_create(request):
    form = SavedSearchForm(request.POST)
    target = "reports:statistics" if request.POST.get("kind") == "statistics" else "people:list"
    if form.is_valid():
        try:
            saved = services.save_search(request.user, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"],
                                         query=QueryDict(form.cleaned_data["query"]))
            messages.success(request, _("Search saved."))
            return redirect(services.saved_search_url(saved))
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Name: give the search a name of at most 120 characters."))
    return redirect(reverse(target) + "?" + form.data.get("query", ""))


@login_required
@require_safe
def saved_search_open(request, pk):
    return redirect(services.saved_search_url(get_object_or_404(SavedSearch, pk=pk, owner=request.user)))


@login_required
@require_POST
def saved_search_delete(request, pk):
    saved = get_object_or_404(SavedSearch, pk=pk, owner=request.user)
    target = "reports:statistics" if saved.kind == "statistics" else "people:list"
    saved.delete()
    messages.success(request, _("Saved search deleted."))
    return redirect(target)

