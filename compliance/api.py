"""Deadlines, reminders and the working-day calendar over HTTP, scoped as the pages are."""

import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from accounts import authz
from common.api import DbId, ErrorOut, Pagination

from . import dashboards, services
from .models import CalendarOverride, Finding, Obligation, Reminder
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
