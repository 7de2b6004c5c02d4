"""Transfers over HTTP, with the same scope and checks as the page."""

import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination
from orgs.services import unit_by_code
from people import services as people
from people.models import Person

from . import arrivals, services
from .models import Arrival

router = Router(tags=["movements"])


class TransferOut(Schema):
    id: int
    person_id: int
    from_unit_id: int
    to_unit_id: int
    position: str
    decision_number: str
    decision_date: datetime.date
    effective_on: datetime.date
    state: str
    version_id: int | None


@router.post("/people/{person_id}/transfers", response={201: TransferOut, 400: ErrorOut, 403: ErrorOut},
             summary="Transfer a person within one authority, or between communes of one administering body, from a decision (now or on its date)")
def create(request, person_id: DbId, to_unit: Form[str], decision_number: Form[str], decision_date: Form[datetime.date],
           effective_on: Form[datetime.date], file: File[UploadedFile], position: Form[str] = ""):
    person = get_object_or_404(Person, pk=person_id)
    moved = services.transfer(request.user, person, to_unit_id=unit_by_code(to_unit).pk, decision_number=decision_number,
                              decision_date=decision_date, effective_on=effective_on, upload=file, position=position, request=request)
    return Status(201, moved)


@router.get("/people/{person_id}/transfers", response=list[TransferOut], summary="A person's transfers, newest first")
@paginate(Pagination)
def list_transfers(request, person_id: DbId):
    person = get_object_or_404(Person, pk=person_id)
    people.require_view(request.user, person, request)
    return person.transfers.all()


class ArrivalStepOut(Schema):
    label: str
    rule: str
    due: datetime.date | None
    done: datetime.date | None
    state: str = Field(description="done, late (done after its deadline), overdue or waiting")


class ArrivalOut(Schema):
    id: int
    to_unit_id: int
    origin: str
    origin_agency: str
    full_name: str
    birth_date: datetime.date
    handover_on: datetime.date
    request_number: str
    request_date: datetime.date
    due_on: datetime.date = Field(description="the request's deadline: 10 working days after the handover (R-8.3a)")
    state: str
    reason: str
    person_id: int | None
    steps: list[ArrivalStepOut]

    @staticmethod
    def resolve_steps(obj):
        today = timezone.localdate()
        return [{**vars(step), "label": str(step.label), "state": step.state(today)} for step in arrivals.steps(obj)]


def _arrival(request, arrival_id: int) -> Arrival:
    arrival = get_object_or_404(Arrival, pk=arrival_id)
    if not arrivals.can_view(request.user, arrival):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return arrival


@router.post("/arrivals", response={201: ArrivalOut, 400: ErrorOut, 403: ErrorOut},
             summary="The receiving unit asks Sở Nội vụ in writing to bring in the record of an arriving person (R-8.3, R-8.4)")
def create_arrival(request, to_unit: Form[str], origin: Form[Arrival.Origin], origin_agency: Form[str], full_name: Form[str],
                   birth_date: Form[datetime.date], citizen_id: Form[str], handover_on: Form[datetime.date], request_number: Form[str],
                   request_date: Form[datetime.date], file: File[UploadedFile]):
    arrival = arrivals.request_arrival(request.user, to_unit_id=unit_by_code(to_unit, "to_unit").pk, origin=origin,
                                       origin_agency=origin_agency, full_name=full_name, birth_date=birth_date, citizen_id=citizen_id,
                                       handover_on=handover_on, request_number=request_number, request_date=request_date, upload=file,
                                       request=request)
    return Status(201, arrival)


@router.get("/arrivals", response=list[ArrivalOut], summary="Arrivals into the units the caller keeps or decides for, newest first")
@paginate(Pagination)
def list_arrivals(request, state: Arrival.State | None = None):
    if not arrivals.may_see_any(request.user):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    found = arrivals.visible(request.user)
    return found.filter(state=state) if state else found


@router.get("/arrivals/{arrival_id}", response=ArrivalOut, summary="An arrival with its steps and deadlines")
def get_arrival(request, arrival_id: DbId):
    return _arrival(request, arrival_id)


class DecisionIn(Schema):
    approve: bool
    reason: str = ""


@router.post("/arrivals/{arrival_id}/decision", response={200: ArrivalOut, 400: ErrorOut, 403: ErrorOut},
             summary="Sở Nội vụ approves (bringing in at once a record the province already holds) or refuses with a reason")
def decide_arrival(request, arrival_id: DbId, payload: DecisionIn):
    return arrivals.decide(request.user, _arrival(request, arrival_id), approve=payload.approve, reason=payload.reason, request=request)


@router.post("/arrivals/{arrival_id}/record", response={200: ArrivalOut, 400: ErrorOut, 403: ErrorOut},
             summary="Sở Nội vụ brings the record in from the record file received (JSON: {\"record\": {section: ...}})")
def bring_in_arrival(request, arrival_id: DbId, file: File[UploadedFile]):
    return arrivals.bring_in(request.user, _arrival(request, arrival_id), upload=file, request=request)
