"""Deadlines, reminders and the working-day calendar over HTTP, scoped as the pages are."""

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from accounts import authz
from common.api import DbId, ErrorOut, Pagination
from common.dbrouter import replica_reads

from . import annual, dashboards, par, services
from .models import AnnualReport, CalendarOverride, Finding, Obligation, Reminder
from .reminders import describe
from .workdays import holidays_of

router = Router(tags=["compliance"])


class ObligationOut(Schema):
    id: int
    kind: Obligation.Kind
    rule: str = Field(description="the requirement of the regulation it comes from")
    unit_id: int
    person_id: int | None
    owner_id: int | None = Field(description="the account that must act, for obligations of the person")
    start_on: datetime.date
    due_on: datetime.date
    met_on: datetime.date | None
    dropped_on: datetime.date | None
    state: str = Field(description="open, overdue, done (met in time), late (met after the due date) or dropped")

    @staticmethod
    def resolve_state(obj):
        return obj.state(timezone.localdate())


class ObligationFilterIn(Schema):
    unit: str = Field("", description="identifier code: the unit and the units under it")
    kind: Obligation.Kind | None = None
    state: str = Field("", pattern="^(|open|overdue|done|late|dropped)$")


@router.get("/tasks", response=list[ObligationOut], summary="What the caller must do: open obligations they own, soonest first")
@paginate(Pagination)
def my_tasks(request):
    return services.my_tasks(request.user)


@router.get("/obligations", response={200: list[ObligationOut], 400: ErrorOut, 403: ErrorOut},
            summary="Obligations of the units in the caller's scope (R-6.3 to R-8.4)")
@paginate(Pagination)
def list_obligations(request, filters: Query[ObligationFilterIn]):
    found = services.scoped_obligations(request.user, filters.unit, filters.kind or "")
    return services.filter_state(found, filters.state, timezone.localdate())


class RefreshOut(Schema):
    created: int
    updated: int
    dropped: int


@router.post("/obligations/refresh", response={200: RefreshOut, 403: ErrorOut}, summary="Recompute every obligation from the data now")
def refresh_obligations(request):
    return services.recompute(request.user, request=request)


class ReminderOut(Schema):
    id: int
    obligation_id: int
    stage: Reminder.Stage
    text: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None

    @staticmethod
    def resolve_text(obj):
        return describe(obj)


@router.get("/reminders", response=list[ReminderOut], summary="The caller's reminders, newest first")
@paginate(Pagination)
def list_reminders(request):
    return Reminder.objects.filter(user=request.user).select_related("obligation__person")


@router.post("/reminders/{reminder_id}/read", response={200: ReminderOut, 404: ErrorOut}, summary="Mark one of one's reminders as read")
def read_reminder(request, reminder_id: DbId):
    reminder = get_object_or_404(Reminder.objects.select_related("obligation__person"), pk=reminder_id, user=request.user)
    if reminder.read_at is None:
        reminder.read_at = timezone.now()
        reminder.save(update_fields=["read_at"])
    return reminder


class HolidayOut(Schema):
    day: datetime.date
    name: str


class OverrideOut(Schema):
    id: int
    day: datetime.date
    working: bool
    reason: str


class CalendarOut(Schema):
    year: int
    holidays: list[HolidayOut] = Field(description="public holidays and announced days off by law (the holidays package)")
    overrides: list[OverrideOut] = Field(description="what Sở Nội vụ entered on top: swapped days worked, extra days off")


@router.get("/calendar", response={200: CalendarOut, 403: ErrorOut}, summary="The working-day calendar of a year")
def get_calendar(request, year: int | None = Query(None, ge=2000, le=2100, description="default: this year")):
    if not authz.can(request.user, "org.view"):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    year = year or timezone.localdate().year
    return {"year": year, "holidays": [{"day": day, "name": name} for day, name in holidays_of(year)],
            "overrides": list(CalendarOverride.objects.filter(day__year=year))}


class OverrideIn(Schema):
    day: datetime.date
    working: bool
    reason: str


@router.post("/calendar/overrides", response={200: OverrideOut, 400: ErrorOut, 403: ErrorOut},
             summary="Enter an announced day swap or extra day off (Sở Nội vụ); open deadlines over it are counted again")
def add_override(request, payload: OverrideIn):
    return services.set_override(request.user, day=payload.day, working=payload.working, reason=payload.reason, request=request)


@router.delete("/calendar/overrides/{override_id}", response={204: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
               summary="Remove an override of a day still ahead")
def delete_override(request, override_id: DbId):
    services.remove_override(request.user, get_object_or_404(CalendarOverride, pk=override_id), request=request)
    return Status(204, None)


class DashboardRow(Schema):
    working: int
    archived: int
    complete: int
    incomplete: int
    complete_share: int | None = Field(description="complete records, % of the people at work")
    completeness_average: int | None
    signed: int
    unsigned: int
    signed_share: int | None = Field(description="records whose current version the head signed, % of the people at work")
    drafts: int
    submitted: int
    approved_month: int
    rejected_month: int
    obligations_open: int
    obligations_overdue: int
    obligations_met_month: int
    obligations_late_month: int
    obligations_due_year: int = Field(description="obligations due from 1 January to the day of the snapshot")
    obligations_in_time_year: int = Field(description="of those, met by their due date")
    timeliness: float | None = Field(description="obligations of the year met in time, % of those due")


class ChildRow(DashboardRow):
    unit_id: int
    name: str
    code: str


class MonthRow(DashboardRow):
    day: datetime.date


class DashboardOut(Schema):
    unit_id: int
    day: datetime.date | None = Field(description="the day of the snapshot shown (counted each night and on demand)")
    totals: DashboardRow = Field(description="the unit and every unit under it")
    own: DashboardRow = Field(description="the people directly in the unit")
    children: list[ChildRow] = Field(description="each sub-unit with the units under it")
    trend: list[MonthRow] = Field(description="the last snapshot of each of the last 12 months")


@router.get("/dashboard", response={200: DashboardOut, 400: ErrorOut, 403: ErrorOut},
            summary="A unit's dashboard: records, approvals and deadlines, and their months (R-4.6, R-15.3, R-16.5)")
@replica_reads()
def get_dashboard(request, unit: str = Query("", description="identifier code of the unit; default: the top of the caller's scope")):
    unit_id = dashboards.unit_for(request.user, unit)
    return {"unit_id": unit_id, **dashboards.dashboard(unit_id)}


class FindingOut(Schema):
    id: int
    rule: Finding.Rule
    requirement: str = Field(description="the requirement of the regulation the check serves")
    unit_id: int = Field(description="the unit responsible")
    person_id: int | None
    details: dict
    found_on: datetime.date
    resolved_on: datetime.date | None


class FindingFilterIn(Schema):
    unit: str = Field("", description="identifier code: the unit and the units under it")
    rule: Finding.Rule | None = None
    state: str = Field("open", pattern="^(|open|resolved)$")


@router.get("/findings", response={200: list[FindingOut], 400: ErrorOut, 403: ErrorOut},
            summary="Data-quality findings of the units in the caller's scope (R-13.4, R-13.5)")
@paginate(Pagination)
def list_findings(request, filters: Query[FindingFilterIn]):
    return services.filtered_findings(request.user, filters.unit, filters.rule or "", filters.state)


class ChecksOut(Schema):
    opened: int
    resolved: int


@router.post("/findings/run", response={200: ChecksOut, 403: ErrorOut}, summary="Run the data-quality checks now (Sở Nội vụ)")
def run_quality_checks(request):
    return services.check_quality(request.user, request=request)


class ScoreOut(Schema):
    unit_id: int
    name: str
    code: str
    rank: int = Field(description="1 for the best; units with the same score share a rank; 0 for the unit asked for")
    values: dict[str, float | None] = Field(description="each criterion measured, out of 100; null: nothing to measure")
    score: float | None
    formula: str = Field(description="the arithmetic behind the score, as shown beside it")


class ParOut(Schema):
    year: int
    day: datetime.date = Field(description="the data counted up to this day")
    weights: dict[str, int] = Field(description="points out of 100 of each criterion: completeness, timeliness, approval, sync")
    unit: ScoreOut = Field(description="the unit asked for, with every unit under it")
    rows: list[ScoreOut] = Field(description="the units directly under it, best first")


@router.get("/par", response={200: ParOut, 400: ErrorOut, 403: ErrorOut},
            summary="The year's PAR scores of the units under one, ranked, with their formula (R-15.4, R-16.3, R-19.2)")
def get_par(request, year: int | None = Query(None, ge=2020, le=2100, description="default: this year"),
            unit: str = Query("", description="identifier code; default: the top of the caller's reporting scope")):
    data = par.ranking(request.user, unit, year or timezone.localdate().year)
    return {**data, "weights": data["formula"].weights}


class WeightsIn(Schema):
    completeness: int
    timeliness: int
    approval: int
    sync: int


@router.put("/par/formulas/{year}", response={200: WeightsIn, 400: ErrorOut, 403: ErrorOut},
            summary="Set the weights of a year's PAR criteria (Sở Nội vụ); they add up to 100")
def set_par_formula(request, year: Annotated[int, Path(ge=2020, le=2100)], payload: WeightsIn):
    return par.set_formula(request.user, year=year, weights=payload.dict(), request=request).weights


class AnnualReportOut(Schema):
    id: int
    unit_id: int
    year: int
    to_ministry: bool = Field(description="the province's report to the Ministry (R-16.7); else a unit's to Sở Nội vụ (R-15.6)")
    due_on: datetime.date
    state: AnnualReport.State
    figures: dict = Field(description="generated from the data: records, the year's approvals, obligations, findings, sub-units")
    generated_at: datetime.datetime
    assessment: str
    difficulties: str
    proposals: str
    submitted_at: datetime.datetime | None

    @staticmethod
    def resolve_due_on(obj):
        return annual.due_on(obj.year, obj.to_ministry)


class AnnualReportIn(Schema):
    unit: str = Field("", description="identifier code; default: the top of the caller's reporting scope")
    year: int = Field(ge=2020, le=2100)


class ReportTextsIn(Schema):
    assessment: str = ""
    difficulties: str = ""
    proposals: str = ""


@router.get("/annual-reports", response={200: list[AnnualReportOut], 403: ErrorOut},
            summary="Annual reports on database management of the units in the caller's scope")
@paginate(Pagination)
def list_annual_reports(request):
    return annual.visible(request.user)


@router.post("/annual-reports", response={200: AnnualReportOut, 400: ErrorOut, 403: ErrorOut},
             summary="Generate a unit's report on a year, or its draft's figures again")
def prepare_annual_report(request, payload: AnnualReportIn):
    return annual.prepare(request.user, unit_id=dashboards.unit_for(request.user, payload.unit), year=payload.year, request=request)


@router.get("/annual-reports/{report_id}", response={200: AnnualReportOut, 403: ErrorOut}, summary="One annual report")
def get_annual_report(request, report_id: DbId):
    return annual.get_visible(request.user, report_id)


@router.patch("/annual-reports/{report_id}", response={200: AnnualReportOut, 400: ErrorOut, 403: ErrorOut},
              summary="Write a draft report's assessment, difficulties and proposals")
def edit_annual_report(request, report_id: DbId, payload: ReportTextsIn):
    return annual.edit(request.user, annual.get_visible(request.user, report_id), texts=payload.dict(), request=request)


@router.post("/annual-reports/{report_id}/submit", response={200: AnnualReportOut, 400: ErrorOut, 403: ErrorOut},
             summary="Submit a report to Sở Nội vụ (or to the Ministry); final")
def submit_annual_report(request, report_id: DbId):
    return annual.submit(request.user, annual.get_visible(request.user, report_id), request=request)


@router.get("/annual-reports/{report_id}/document", response={200: None, 403: ErrorOut},
            summary="The report as a DOCX or PDF file", openapi_extra={"responses": {"200": {"description": "the file", "content": {
                "application/pdf": {}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}}}}})
def annual_report_document(request, report_id: DbId, format: str = Query("pdf", pattern="^(pdf|docx)$")):
    data, content_type, name = annual.export(request.user, annual.get_visible(request.user, report_id), format, request=request)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
