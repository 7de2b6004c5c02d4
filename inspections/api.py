"""Inspections over HTTP, scoped as the pages are (R-14.4, R-16.5)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination
from orgs.services import unit_by_code

from . import services
from .models import Inspection, Measure

router = Router(tags=["inspections"])


class MeasureOut(Schema):
    id: int
    text: str
    target: Measure.Target = Field(description="against the inspected unit or the person the findings concern")
    done_on: datetime.date | None


class AnswerOut(Schema):
    id: int
    author_id: int
    text: str
    measures_done: list[int]
    created_at: datetime.datetime


class InspectionOut(Schema):
    id: int
    unit_id: int
    unit_code: str | None = Field(description="the inspected unit's identifier code")
    unit_name: str | None
    person_id: int | None = Field(description="the person the findings concern (record number), if any")
    area: Inspection.Area
    inspected_on: datetime.date
    findings: str
    recorded_by_id: int
    answer_due_on: datetime.date = Field(description="10 working days after recording")
    overdue: bool = Field(description="still waiting for the answer after its due date")
    state: Inspection.State
    conclusion: str
    created_at: datetime.datetime
    answered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    measures: list[MeasureOut]

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue(timezone.localdate())

    @staticmethod
    def resolve_measures(obj):
        return list(obj.measures.all())


class InspectionDetailOut(InspectionOut):
    person_name: str | None = Field(None, description="shown only to those who read the person's record")
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj):
        return list(obj.answers.all())


class InspectionFilterIn(Schema):
    unit: str = Field("", description="identifier code (or id): the unit and the units under it")
    state: str = Field("", pattern="^(|open|overdue|answered|closed)$")
    area: Inspection.Area | None = None


class MeasureIn(Schema):
    text: str
    target: Measure.Target | None = Field(None, description="default: the person when the findings name one, else the unit")


class InspectionIn(Schema):
    unit: str = Field(description="identifier code of the inspected unit")
    person_id: DbId | None = Field(None, description="the record number of a person of the unit the findings concern")
    area: str = Field(description="updating, approval, management or use")
    inspected_on: datetime.date
    findings: str
    measures: list[str | MeasureIn] = Field(description="at least one; a text, or a text with its target")


class AnswerIn(Schema):
    text: str
    measures_done: list[DbId] = Field([], description="ids of the inspection's measures the unit has done")


class CloseInspectionIn(Schema):
    conclusion: str


def _detail(request, inspection: Inspection) -> Inspection:
    inspection.person_name = services.read(request.user, inspection, request=request)
    return inspection


@router.get("/inspections", response={200: list[InspectionOut], 400: ErrorOut, 403: ErrorOut},
            summary="Inspections of the units in the caller's scope, newest first (R-14.4, R-16.5)")
@paginate(Pagination)
def list_inspections(request, filters: Query[InspectionFilterIn]):
    if not services.may_see_any(request.user):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return services.filtered(request.user, unit=filters.unit, state=filters.state, area=filters.area or "")


@router.post("/inspections", response={200: InspectionDetailOut, 400: ErrorOut, 403: ErrorOut},
             summary="Record an inspection of a unit in the caller's scope with its findings and measures")
def create_inspection(request, payload: InspectionIn):
    services.require_recorder(request.user, request=request)
    unit = unit_by_code(payload.unit)
    measures = [item if isinstance(item, str) else (item.text, item.target or "") for item in payload.measures]
    inspection = services.record_inspection(request.user, unit_id=unit.pk, person_id=payload.person_id, area=payload.area,
                                            inspected_on=payload.inspected_on, findings=payload.findings, measures=measures, request=request)
    return _detail(request, services.get_visible(request.user, inspection.pk))


@router.get("/inspections/{inspection_id}", response={200: InspectionDetailOut, 403: ErrorOut, 404: ErrorOut},
            summary="One inspection with its measures and answers")
def get_inspection(request, inspection_id: DbId):
    return _detail(request, services.get_visible(request.user, inspection_id))


@router.post("/inspections/{inspection_id}/answer", response={200: InspectionDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="The inspected unit answers: what it did, which measures are done")
def answer_inspection(request, inspection_id: DbId, payload: AnswerIn):
    inspection = services.get_visible(request.user, inspection_id)
    services.answer(request.user, inspection, text=payload.text, measures_done=payload.measures_done, request=request)
    return _detail(request, services.get_visible(request.user, inspection_id))


@router.post("/inspections/{inspection_id}/close", response={200: InspectionDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="The inspector concludes, once the unit answered or its answer is overdue")
def close_inspection(request, inspection_id: DbId, payload: CloseInspectionIn):
    inspection = services.get_visible(request.user, inspection_id)
    services.close(request.user, inspection, conclusion=payload.conclusion, request=request)
    return _detail(request, services.get_visible(request.user, inspection_id))
