"""Statistics, the Ministry's report forms, exports and signed exports over HTTP, with the same scope and clearance as the pages."""

import datetime

from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status

from accounts import authz
from audit.services import record as audit
from common.api import DbId, ErrorOut
from common.dbrouter import replica_reads
from orgs.services import unit_by_code
from people.api import SearchIn
from people.services import PeopleQuery

from . import services, staffing, standard_forms, statistics
from .api_exports import router as exports_router
from .api_signed import router as signed_router
from .form_sheets import report_xlsx
from .models import SavedSearch

router = Router(tags=["reports"])
router.add_router("", exports_router)
router.add_router("", signed_router)


class StatisticsIn(SearchIn):
    rows: str = Field("unit", description="dimension of the rows: " + ", ".join(statistics.DIMENSIONS))
    columns: str = Field("category", description="dimension of the columns")


class ValueOut(Schema):
    value: str = Field(description="the code counted (a unit id, a catalog code, an age band); empty when not given")
    label: str


class CellOut(Schema):
    row: str
    column: str
    count: int


class StatisticsOut(Schema):
    rows: str
    columns: str
    row_values: list[ValueOut]
    column_values: list[ValueOut]
    cells: list[CellOut] = Field(description="non-zero cells only")
    row_totals: dict[str, int]
    column_totals: dict[str, int]
    total: int


def _people_query(filters: SearchIn) -> PeopleQuery:
    data = filters.dict()
    for name in ("rows", "columns"):
        data.pop(name, None)
    code = data.pop("unit")
    return PeopleQuery(text=data.pop("q"), unit_id=unit_by_code(code).pk if code else None, **data)


@router.get("/statistics", response={200: StatisticsOut, 400: ErrorOut, 403: ErrorOut},
            summary="Count the people in the caller's scope by two dimensions, filtered like the people search (R-9.2, R-9.3)")
@replica_reads()
def aggregate(request, filters: Query[StatisticsIn]):
    authz.require(request.user, "reports.view")
    table = statistics.aggregate(request.user, filters.rows, filters.columns, _people_query(filters))
    return {"rows": table.rows, "columns": table.columns,
            "row_values": [{"value": v, "label": label} for v, label in table.row_keys],
            "column_values": [{"value": v, "label": label} for v, label in table.column_keys],
            "cells": [{"row": r, "column": c, "count": n} for (r, c), n in sorted(table.cells.items())],
            "row_totals": table.row_totals, "column_totals": table.column_totals, "total": table.total}


class CriterionOut(Schema):
    key: str
    group: str
    label: str


class StandardFormOut(Schema):
    code: str
    number: str
    title: str
    categories: list[str]
    columns: list[CriterionOut]


def _form_out(form: standard_forms.StandardForm) -> dict:
    return {"code": form.code, "number": form.number, "title": form.title, "categories": sorted(form.categories),
            "columns": [{"key": c.key, "group": g.label, "label": c.label} for g in form.groups for c in g.criteria]}


@router.get("/standard-forms", response=list[StandardFormOut],
            summary="The Ministry's standard forms on the quantity and quality of civil servants and public employees")
def list_forms(request):
    return [_form_out(form) for form in standard_forms.FORMS.values()]


class FormRowOut(Schema):
    unit_id: int | None = Field(description="the agency of the row; none on the total")
    label: str
    counts: dict[str, int | None] = Field(description="column key -> count; null where the caller is not cleared for the field")


class FormReportOut(Schema):
    form: StandardFormOut
    unit_id: int
    unit_name: str
    day: datetime.date
    rows: list[FormRowOut]
    total: FormRowOut
    hidden: list[str] = Field(description="columns left blank: fields above the caller's clearance")


class FormQuery(Schema):
    unit: str = Field("", description="identifier code of the reporting unit (by default the top unit of the caller's scope); "
                                      "the report covers it and the units under it")
    day: datetime.date | None = Field(None, description="reference date, today by default")


def _unit(request, code: str) -> int:
    authz.require(request.user, "reports.view")
    return unit_by_code(code).pk if code else services.default_unit(request.user)


def _report(request, code: str, params: FormQuery) -> standard_forms.Report:
    return standard_forms.build(request.user, code, _unit(request, params.unit), params.day, request=request)


def _row_out(report, row) -> dict:
    return {"unit_id": row.unit_id, "label": row.label, "counts": {c.key: report.value(row, c.key) for c in report.form.criteria}}


@router.get("/standard-forms/{code}", response={200: FormReportOut, 400: ErrorOut, 403: ErrorOut},
            summary="A standard form for a unit subtree on a reference date (R-9.2, R-13.3)")
@replica_reads()
def standard_form(request, code: str, params: Query[FormQuery]):
    report = _report(request, code, params)
    return {"form": _form_out(report.form), "unit_id": report.unit_id, "unit_name": report.unit_name, "day": report.day,
            "rows": [_row_out(report, row) for row in report.rows], "total": _row_out(report, report.total), "hidden": sorted(report.hidden)}


@router.get("/standard-forms/{code}/xlsx", response={200: None, 400: ErrorOut, 403: ErrorOut},
            summary="A standard form as XLSX in the official layout")
def standard_form_xlsx(request, code: str, params: Query[FormQuery]):
    report = _report(request, code, params)
    audit(request.user, "reports.export", unit_id=report.unit_id, details={"source": f"form:{code}", "format": "xlsx",
                                                                            "day": report.day.isoformat()}, request=request)
    response = HttpResponse(report_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"{code}-{report.day:%Y%m%d}.xlsx")
    return response


class StaffingQuotaOut(Schema):
    unit_id: int
    label: str
    quota: dict[str, int] = Field(description="category -> posts of the staffing quota")
    actual: dict[str, int] = Field(description="category -> people in office")


class StaffingPositionOut(Schema):
    unit_label: str
    code: str
    name: str
    category: str
    posts: int
    held: int


class StaffingOut(Schema):
    unit_id: int
    unit_name: str
    year: int
    categories: list[str]
    rows: list[StaffingQuotaOut]
    positions: list[StaffingPositionOut]


@router.get("/staffing", response={200: StaffingOut, 400: ErrorOut, 403: ErrorOut},
            summary="Staffing quota and job positions against the people in office, by sub-unit (R-9.2)")
@replica_reads()
def staffing_report(request, unit: str = Query("", description="identifier code (by default the top unit of the caller's scope)"),
                    year: int | None = Query(None, ge=2000, le=2100)):
    return staffing.staffing(request.user, _unit(request, unit), year, request=request)


class SavedSearchIn(Schema):
    kind: SavedSearch.Kind
    name: str = Field(max_length=120)
    query: dict[str, list[str]] = Field(description="the page's query parameters, each a list of values")


class SavedSearchOut(Schema):
    id: int
    kind: str
    name: str
    query: dict[str, list[str]]
    created_at: datetime.datetime


@router.get("/saved-searches", response=list[SavedSearchOut], summary="The caller's saved searches")
def list_saved(request):
    return list(SavedSearch.objects.filter(owner=request.user))


@router.post("/saved-searches", response={201: SavedSearchOut, 400: ErrorOut}, summary="Save a search under a name (the same name replaces it)")
def save(request, payload: SavedSearchIn):
    query = QueryDict(mutable=True)
    for key, values in payload.query.items():
        query.setlist(key[:60], [str(v)[:200] for v in values[:50]])
    return Status(201, services.save_search(request.user, kind=payload.kind, name=payload.name, query=query))


@router.delete("/saved-searches/{search_id}", response={204: None, 404: ErrorOut}, summary="Delete one of the caller's saved searches")
def delete_saved(request, search_id: DbId):
    get_object_or_404(SavedSearch, pk=search_id, owner=request.user).delete()
    return Status(204, None)
