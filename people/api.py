"""Records and change sets over HTTP, with the same scope, clearance and rules as the pages."""

import datetime
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination
from common.dbrouter import replica_reads
from common.errors import ServiceError
from orgs.services import unit_by_code

from . import own_data, retirement, services
from .models import ChangeSet, Person
from .timeline import timeline

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    full_name: str
    birth_date: datetime.date | None
    gender: str
    unit_id: int
    category: str
    status: str
    version: int = Field(description="number of the last approved version; 0 before the first approval")
    completeness: int = Field(description="share of the fields expected for the category that are filled, in %")


class RecordOut(Schema):
    person: PersonOut
    version: int
    record: dict[str, Any] = Field(description="sections of the résumé (see docs/record-form.md); only the fields the caller may see")


class VersionOut(Schema):
    number: int
    valid_from: datetime.date
    approved_at: datetime.datetime
    approved_by_id: int | None
    change_set_id: int | None


class ChangeOut(Schema):
    section: str
    row: int | None
    field: str
    label: str
    old: Any
    new: Any


class RuleProblemOut(Schema):
    field: str
    message: str


class QualityOut(Schema):
    completeness: int
    missing: list[str] = Field(description="paths of the expected fields that are empty")
    problems: list[RuleProblemOut]


class AttachmentOut(Schema):
    id: int
    section: str
    label: str
    file_name: str
    sha256: str = Field(alias="document.sha256")
    size: int = Field(alias="document.size")
    content_type: str = Field(alias="document.content_type")


class ChangeSetOut(Schema):
    id: int
    person_id: int
    author_id: int
    state: str
    base_version: int
    reason: str
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None
    changes: list[ChangeOut]
    attachments: list[AttachmentOut]


class NewPersonIn(Schema):
    unit: str = Field(description="identifier code of the employing unit")
    sections: dict[str, Any] = Field(description="at least identity (full_name, birth_date, citizen_id...) and employment (category)")


class CreatedOut(Schema):
    person: PersonOut
    change_set: ChangeSetOut


class SectionsIn(Schema):
    sections: dict[str, Any] = Field(description="whole sections as they should become; repeating sections are lists of rows")


class StatusIn(Schema):
    status: str
    effective_on: datetime.date
    decision: str = ""
    note: str = ""


class SearchIn(Schema):
    q: str = Field("", max_length=120, description="name without diacritics, or a 12-digit citizen ID")
    unit: str = Field("", description="identifier code: the unit and the units under it")
    category: str = ""
    rank: str = ""
    professional_title: str = ""
    position: str = ""
    gender: str = ""
    age_from: int | None = Field(None, ge=0, le=120)
    age_to: int | None = Field(None, ge=0, le=120)
    ethnicity: str = ""
    qualification: str = ""
    political_theory: str = ""
    state_management: str = ""
    job_position: str = Field("", max_length=120, description="part of the job position's name")
    party_member: bool | None = None
    status: str = ""


def _person(request, person_id: int) -> Person:
    person = get_object_or_404(Person, pk=person_id)
    services.require_view(request.user, person, request)
    return person


def _change_set(request, change_set_id: int) -> ChangeSet:
    change_set = get_object_or_404(ChangeSet.objects.select_related("person", "data_key"), pk=change_set_id)
    services.require_view(request.user, change_set.person, request)
    return change_set


def _change_set_out(request, change_set: ChangeSet) -> dict:
    person = change_set.person
    shown = services.visible_sections(request.user, person)
    base = services.approved_record(person, change_set.base_version)
    changes = services.diff(services.restrict(base, shown), services.restrict({**base, **services.change_set_sections(change_set)}, shown))
    return {**{f: getattr(change_set, f) for f in ("id", "person_id", "author_id", "state", "base_version", "reason", "created_at",
                                                  "submitted_at")},
            "changes": changes, "attachments": list(change_set.attachments.select_related("document"))}


def _record_out(request, person, number=None, on=None) -> dict:
    try:
        record, shown_number = services.read_record(request.user, person, number=number, on=on, request=request)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    return {"person": person, "version": shown_number, "record": record}


@router.get("/people", response={200: list[PersonOut], 400: ErrorOut}, summary="Search people in the caller's scope")
@replica_reads()  # outside paginate, which runs the query
@paginate(Pagination)
def search(request, filters: Query[SearchIn]):
    data = filters.dict()
    code = data.pop("unit")
    unit_id = unit_by_code(code).pk if code else None
    return services.search_people(request.user, services.PeopleQuery(text=data.pop("q"), unit_id=unit_id, **data))


class EventOut(Schema):
    day: datetime.date
    kind: str = Field(description="recruitment, unit, position, salary or status")
    text: str
    decision: str


@router.get("/people/{person_id}/timeline", response=list[EventOut], summary="Units, positions, salary and status over time, newest first")
@paginate(Pagination)
def person_timeline(request, person_id: DbId):
    person = get_object_or_404(Person, pk=person_id)
    return timeline(request.user, person, request=request)


class RetirementOut(Schema):
    person: PersonOut
    retires_on: datetime.date = Field(description="end of the month the retirement age is reached (Decree 135/2020/NĐ-CP, Art. 7)")


@router.get("/people/retirements", response={200: list[RetirementOut], 400: ErrorOut},
            summary="Working people who retire within the coming months (Labor Code 2019 Art. 169, Decree 135/2020)")
@paginate(Pagination)
def retirements(request, unit: str = Query("", description="identifier code: the unit and the units under it"),
                months: int = Query(12, ge=1, le=120)):
    found = retirement.upcoming(request.user, unit_id=unit_by_code(unit).pk if unit else None, months=months)
    return [{"person": person, "retires_on": when} for person, when in found]


@router.post("/people", response={201: CreatedOut, 400: ErrorOut, 403: ErrorOut}, summary="Open a new record (a draft awaiting approval)")
def create(request, payload: NewPersonIn):
    person, change_set = services.create_person(request.user, unit=unit_by_code(payload.unit), sections=payload.sections, request=request)
    return Status(201, {"person": person, "change_set": _change_set_out(request, change_set)})


@router.get("/people/me", response={200: RecordOut, 404: ErrorOut}, summary="The caller's own record (R-9.4)")
def own_record(request):
    person = services.person_for_user(request.user)
    if person is None:
        raise Http404("No record is linked to this account.")
    return _record_out(request, person)


class CheckOut(Schema):
    version: int
    checked_at: datetime.datetime


@router.post("/people/me/check", response={200: CheckOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Confirm one's own record is right as it stands (R-6.4)")
def confirm_own_record(request):
    person = services.person_for_user(request.user)
    if person is None:
        raise Http404("No record is linked to this account.")
    return services.confirm_checked(request.user, person, request=request)


@router.get("/people/{person_id}", response=RecordOut, summary="A record as the caller may see it; ?version=n or ?on=date for an earlier state")
def get_record(request, person_id: DbId, version: int | None = Query(None, ge=0, le=2**31), on: datetime.date | None = None,
               purpose: str = Query("", max_length=200, description="why the caller reads someone else's sensitive fields, one of "
                                    "AUDIT_READ_PURPOSES when the installation asks for one (403 without it); kept in the audit")):
    return _record_out(request, _person(request, person_id), version, on)


@router.get("/people/{person_id}/versions", response=list[VersionOut], summary="The approved versions of a record")
@paginate(Pagination)
def list_versions(request, person_id: DbId):
    return _person(request, person_id).versions.order_by("number")


@router.get("/people/{person_id}/diff", response=list[ChangeOut], summary="Field-by-field differences between two versions")
def version_diff(request, person_id: DbId, from_version: int = Query(0, ge=0, le=2**31),
                 to_version: int | None = Query(None, ge=0, le=2**31, description="the last approved version when omitted")):
    person = _person(request, person_id)
    old, new = _record_out(request, person, from_version)["record"], _record_out(request, person, to_version)["record"]
    return services.diff(old, new)


@router.get("/people/{person_id}/quality", response=QualityOut, summary="Completeness and rule violations of the working record (R-13.5)")
def quality(request, person_id: DbId):
    person = _person(request, person_id)
    found = services.quality(person, services.visible_sections(request.user, person))
    return {"completeness": found["completeness"], "missing": [path for path, _label in found["missing"]], "problems": found["problems"]}


@router.post("/people/{person_id}/status", response={200: PersonOut, 400: ErrorOut, 403: ErrorOut}, summary="Record a status from a decision")
def set_status(request, person_id: DbId, payload: StatusIn):
    person = _person(request, person_id)
    services.set_status(request.user, person, request=request, **payload.dict())
    return person


@router.put("/people/{person_id}/changes", response={200: ChangeSetOut, 400: ErrorOut, 403: ErrorOut},
            summary="Put edited sections into the record's open change set")
def edit(request, person_id: DbId, payload: SectionsIn):
    person = _person(request, person_id)
    return _change_set_out(request, services.edit_sections(request.user, person, payload.sections, request=request))


@router.get("/people/{person_id}/changes", response={200: ChangeSetOut, 404: ErrorOut}, summary="The record's open change set")
def open_changes(request, person_id: DbId):
    change_set = services.open_change_set(_person(request, person_id))
    if change_set is None:
        raise Http404("No open change set.")
    return _change_set_out(request, change_set)


class ChangeSetRowOut(Schema):
    id: int
    person_id: int
    full_name: str = Field(alias="person.full_name")
    unit_id: int = Field(alias="person.unit_id")
    author_id: int
    state: str
    base_version: int
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None


@router.get("/change-sets", response={200: list[ChangeSetRowOut], 400: ErrorOut},
            summary="Open change sets (drafts and submissions) of the units the caller edits records for, oldest first")
@paginate(Pagination)
def list_change_sets(request, state: str = Query("", pattern="^(|draft|submitted)$"),
                     unit: str = Query("", description="identifier code: the unit and the units under it")):
    return services.open_change_sets(request.user, state=state, unit_id=unit_by_code(unit).pk if unit else None)


@router.get("/change-sets/{change_set_id}", response=ChangeSetOut, summary="A change set")
def get_change_set(request, change_set_id: DbId):
    return _change_set_out(request, _change_set(request, change_set_id))


@router.post("/change-sets/{change_set_id}/documents", response={201: AttachmentOut, 400: ErrorOut, 403: ErrorOut},
             summary="Attach a scanned proof (PDF, JPEG or PNG)")
def attach(request, change_set_id: DbId, section: Form[str], file: File[UploadedFile], label: Form[str] = ""):
    change_set = _change_set(request, change_set_id)
    return Status(201, services.attach_document(request.user, change_set, section_name=section, upload=file, label=label, request=request))


@router.post("/change-sets/{change_set_id}/submit", response={200: ChangeSetOut, 400: ErrorOut, 403: ErrorOut}, summary="Submit for approval")
def submit(request, change_set_id: DbId):
    change_set = _change_set(request, change_set_id)
    return _change_set_out(request, services.submit(request.user, change_set, request=request))


@router.post("/change-sets/{change_set_id}/withdraw", response={200: ChangeSetOut, 400: ErrorOut, 403: ErrorOut}, summary="Withdraw")
def withdraw(request, change_set_id: DbId):
    change_set = _change_set(request, change_set_id)
    return _change_set_out(request, services.withdraw(request.user, change_set, request=request))


# ---- the caller's own data (R-9.4) ----

class OwnUnitOut(Schema):
    name: str
    code: str = Field(description="identifier code (Decision 20/2020/QĐ-TTg)")


class PendingOut(Schema):
    approved: bool = Field(description="always false: these changes await approval")
    state: str
    base_version: int
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None
    sections: dict[str, Any]


class OwnRecordOut(Schema):
    person_id: int
    version: int = Field(description="the approved version exported; 0 before the first approval")
    valid_from: datetime.date | None
    approved_at: datetime.datetime | None
    unit: OwnUnitOut
    exported_at: datetime.datetime
    sections: dict[str, Any] = Field(description="every section of the approved version, as stored (see docs/record-form.md)")
    pending: PendingOut | None = Field(description="the open change set, not approved")


class AccessOut(Schema):
    at: datetime.datetime
    action: str = Field(description="the audit action code")
    label: str = Field(description="the action in plain words")
    by_you: bool
    actor_name: str
    roles: list[str] = Field(description="the roles and units the reader held at the time")


def _own(request):
    person = services.person_for_user(request.user)
    if person is None:
        raise HttpError(404, _("No record is linked to your account yet. Ask your unit's personnel officer."))
    return person


@router.get("/me/record", response={200: OwnRecordOut, 404: ErrorOut}, summary="The caller's whole record as JSON, to keep or reuse (R-9.4)")
def own_record_json(request):
    data = own_data.export_json(request.user, _own(request), request=request)
    return HttpResponse(data, content_type="application/json; charset=utf-8")


@router.get("/me/record.pdf", response={200: None, 404: ErrorOut}, summary="The caller's résumé with every section, as PDF (R-9.4)",
            openapi_extra={"responses": {"200": {"description": "the PDF", "content": {"application/pdf": {}}}}})
def own_record_pdf(request):
    person = _own(request)
    pdf, number = own_data.export_pdf(request.user, person, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="so-yeu-ly-lich-{person.pk}-v{number}.pdf"'
    return response


@router.get("/me/access-history", response={200: list[AccessOut], 404: ErrorOut},
            summary="Who read, printed or exported the caller's record, newest first; confidential accesses left out (R-9.4)")
@paginate(Pagination)
def own_access_history(request):
    return own_data.access_history(request.user, _own(request), request=request)
