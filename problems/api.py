"""Problem reports to Sở Nội vụ over HTTP (R-19.5), with the same visibility and rules as the pages."""

import datetime

from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination

from . import services
from .models import ProblemReport

router = Router(tags=["problems"])


class ProblemAttachmentOut(Schema):
    id: int
    file_name: str
    content_type: str = Field(alias="document.content_type")
    size: int = Field(alias="document.size")
    sha256: str = Field(alias="document.sha256")


class MessageOut(Schema):
    id: int
    author_id: int
    text: str
    internal: bool = Field(description="a note between handlers, not shown to the reporter")
    created_at: datetime.datetime
    attachments: list[ProblemAttachmentOut]

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class ProblemOut(Schema):
    id: int
    reporter_id: int
    unit_id: int | None = Field(description="the reporter's unit when the report was filed")
    category: ProblemReport.Category
    subject: str
    description: str
    state: ProblemReport.State
    created_at: datetime.datetime
    updated_at: datetime.datetime
    closed_at: datetime.datetime | None


class ProblemDetailOut(ProblemOut):
    messages: list[MessageOut] = Field(description="the conversation, oldest first (the report's own text first)")
    allowed_states: list[str] = Field(description="the states the caller may move the report to now")


def _detail(request, report: ProblemReport) -> dict:
    fields = {name: getattr(report, name) for name in ProblemOut.model_fields if name != "id"}
    return {"id": report.pk, **fields, "messages": list(services.conversation(request.user, report)),
            "allowed_states": services.allowed_states(request.user, report)}


@router.get("/problems", response=list[ProblemOut], summary="The caller's problem reports and, for Sở Nội vụ, those of the units in scope")
@paginate(Pagination)
def list_problems(request, state: ProblemReport.State | None = None):
    found = services.visible_reports(request.user)
    return found.filter(state=state) if state else found


@router.post("/problems", response={201: ProblemDetailOut, 400: ErrorOut, 403: ErrorOut},
             summary="Report a problem to Sở Nội vụ in writing, with scans or screenshots (multipart, files in `files`)")
def create_problem(request, category: Form[str], subject: Form[str], description: Form[str],
                   files: File[list[UploadedFile]] = None):
    report = services.file_report(request.user, category=category, subject=subject, description=description, uploads=files or (),
                                  request=request)
    return Status(201, _detail(request, report))


@router.get("/problems/{problem_id}", response={200: ProblemDetailOut, 403: ErrorOut, 404: ErrorOut},
            summary="A problem report with its conversation")
def get_problem(request, problem_id: DbId):
    return _detail(request, services.get_visible(request.user, problem_id))


@router.post("/problems/{problem_id}/messages", response={201: MessageOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Write in a report's conversation: the reporter adds information, Sở Nội vụ answers (multipart, files in `files`)")
def add_message(request, problem_id: DbId, text: Form[str], files: File[list[UploadedFile]] = None, internal: Form[bool] = False):
    report = services.get_visible(request.user, problem_id)
    message = services.reply(request.user, report, text=text, uploads=files or (), internal=internal, request=request)
    return Status(201, message)


class StateIn(Schema):
    state: str = Field(description="in_progress, closed (answered comes from writing the answer)")


@router.post("/problems/{problem_id}/state", response={200: ProblemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Move a report on: Sở Nội vụ takes it in hand, closes or reopens it; the reporter may close their own")
def change_state(request, problem_id: DbId, payload: StateIn):
    report = services.get_visible(request.user, problem_id)
    return services.set_state(request.user, report, payload.state, request=request)
