"""Exports and the printed staff list over HTTP (R-3.13, R-9.3), with the same checks as the pages: a job and its file belong
to their requester alone."""

import datetime

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from accounts import authz
from common.api import DbId, ErrorOut, Pagination

from . import exports
from .columns import BY_KEY
from .models import ExportJob
from .staff_list import staff_list_pdf

router = Router(tags=["reports"])


class ExportIn(Schema):
    source: str = Field("people", description="what is exported: the people list")
    filters: dict[str, str | int | bool | list[str] | None] = Field(
        default_factory=dict, description="the people list's query parameters: q, unit (a unit id: it and the units under it), category, "
                                          "status, gender, rank, professional_title, position, qualification, political_theory, "
                                          "state_management, job_position, ethnicity, party_member, age_from, age_to, order")
    columns: list[str] | None = Field(None, description="column keys among " + ", ".join(BY_KEY) + "; by default every column the "
                                                        "caller is cleared for; asking for one above the caller's clearance is refused")
    format: ExportJob.Format


class ExportOut(Schema):
    id: int
    source: str
    format: str
    filters: dict[str, list[str]] = Field(alias="query")
    columns: list[str] = Field(description="the columns written: only those the caller is cleared for")
    state: ExportJob.State
    total: int | None = Field(description="rows to write")
    done: int = Field(description="rows written so far")
    progress: int = Field(description="percent written")
    file_name: str
    size: int
    sha256: str
    error: str = Field(description="why the export failed, for the requester")
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    expires_at: datetime.datetime | None = Field(description="the file is deleted then")
    downloadable: bool

    @staticmethod
    def resolve_downloadable(obj):
        return exports.downloadable(obj)


def _job(request, job_id: int) -> ExportJob:
    authz.require(request.user, "reports.export")
    return get_object_or_404(ExportJob, pk=job_id, requested_by=request.user)


@router.post("/exports", response={201: ExportOut, 400: ErrorOut, 403: ErrorOut},
             summary="Export the people list with its filters to XLSX, CSV or PDF: written at once when small, by the worker otherwise")
def create_export(request, payload: ExportIn):
    job = exports.request_export(request.user, source=payload.source, params=payload.filters, columns=payload.columns,
                                 format=payload.format, request=request)
    return Status(201, job)


@router.get("/exports", response={200: list[ExportOut], 403: ErrorOut}, summary="The caller's exports, newest first")
@paginate(Pagination)
def list_exports(request):
    authz.require(request.user, "reports.export")
    return ExportJob.objects.filter(requested_by=request.user)


@router.get("/exports/{job_id}", response={200: ExportOut, 403: ErrorOut, 404: ErrorOut}, summary="One of the caller's exports, with its progress")
def get_export(request, job_id: DbId):
    return _job(request, job_id)


@router.get("/exports/{job_id}/file", response={200: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
            summary="Download an export's file (its requester only, while it is kept; audited)")
def export_file(request, job_id: DbId):
    job = _job(request, job_id)
    if not exports.downloadable(job):
        return Status(409, {"detail": job.error or _("The file is not ready, or it was deleted."), "field": "state"})
    handle = exports.open_file(request.user, job, request=request)
    return FileResponse(handle, as_attachment=True, filename=job.file_name, content_type=exports.CONTENT_TYPES[job.format])


@router.get("/units/{unit_id}/staff-list.pdf", response={200: None, 403: ErrorOut, 404: ErrorOut},
            summary="The printed staff list of a unit and the units under it, by category, with the columns the caller is cleared for")
def staff_list(request, unit_id: DbId):
    rendered = staff_list_pdf(request.user, unit_id, request=request)
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"danh-sach-can-bo-{unit_id}-{timezone.localdate():%Y%m%d}.pdf")
    return response
