"""Transfers over HTTP, with the same scope and checks as the page."""

import datetime

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status, UploadedFile

from common.api import DbId, ErrorOut
from orgs.services import unit_by_code
from people import services as people
from people.models import Person

from . import services

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
             summary="Transfer a person to another unit of the same authority, from a decision (applied now or on its date)")
def create(request, person_id: DbId, to_unit: Form[str], decision_number: Form[str], decision_date: Form[datetime.date],
           effective_on: Form[datetime.date], file: File[UploadedFile], position: Form[str] = ""):
    person = get_object_or_404(Person, pk=person_id)
    people.require_view(request.user, person, request)
    moved = services.transfer(request.user, person, to_unit_id=unit_by_code(to_unit).pk, decision_number=decision_number,
                              decision_date=decision_date, effective_on=effective_on, upload=file, position=position, request=request)
    return Status(201, moved)


@router.get("/people/{person_id}/transfers", response=list[TransferOut], summary="A person's transfers, newest first")
def list_transfers(request, person_id: DbId):
    person = get_object_or_404(Person, pk=person_id)
    people.require_view(request.user, person, request)
    return list(person.transfers.all())
