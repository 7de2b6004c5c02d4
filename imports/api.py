"""The bulk import over HTTP (R-9.1), with the pages' checks: an import belongs to its uploader alone."""

import datetime

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from accounts import authz
from common.api import DbId, ErrorOut, Pagination
from orgs.services import unit_by_code

from . import services
from .models import ImportJob

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
    file_name: str
    format: ImportJob.Format
    size: int
    sha256: str
    unit_id: int | None = Field(description="where rows without a unit code go")
    dry_run: bool = Field(description="check only; a valid dry run is applied by POST /imports/{id}/apply")
    state: ImportJob.State
    rows_total: int | None = Field(description="rows of data in the file (as it declares them, until counted)")
    rows_done: int = Field(description="rows checked so far")
    progress: int = Field(description="percent of the rows checked")
    error_count: int
    people_created: int
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class ImportErrorOut(Schema):
    sheet: str = Field(description="the sheet's name (CSV for a CSV file); empty for a problem of the whole file")
    row: int | None = Field(description="the row number in the sheet, header row 1")
    column: str = Field(description="the column's letter and header")
    message: str


def _job(request, job_id: int) -> ImportJob:
    try:
        return services.job_for(request.user, job_id)
    except ImportJob.DoesNotExist as exc:
        raise Http404("No such import.") from exc


# Declared before /imports/{job_id}: "template" is not an id.
@router.get("/imports/template", response={200: None, 403: ErrorOut},
            summary="The import template: an XLSX workbook of one sheet per section, or the CSV file of the one-row sections")
def import_template(request, format: str = Query("xlsx", pattern="^(xlsx|csv)$")):
    authz.require(request.user, services.ACTION)
    content = services.template_csv() if format == "csv" else services.template_workbook()
    response = HttpResponse(content, content_type=services.CONTENT_TYPES[format])
    response["Content-Disposition"] = content_disposition_header(True, f"mau-nhap-ho-so.{format}")
    return response


@router.post("/imports", response={201: ImportOut, 400: ErrorOut, 403: ErrorOut},
             summary="Upload an XLSX or CSV file of legacy records: checked (dry run) or checked and applied all or nothing, by the worker")
def create_import(request, file: File[UploadedFile], dry_run: Form[bool] = True, unit: Form[str] = ""):
    """`unit`: the identifier code of the unit that rows without a unit code go to."""
    authz.require(request.user, services.ACTION)
    chosen = unit_by_code(unit) if unit else None
    return Status(201, services.start_import(request.user, file, dry_run=dry_run, unit=chosen, request=request))


@router.get("/imports", response={200: list[ImportOut], 403: ErrorOut}, summary="The caller's imports, newest first")
@paginate(Pagination)
def list_imports(request):
    return services.visible_jobs(request.user)


@router.get("/imports/{job_id}", response={200: ImportOut, 403: ErrorOut, 404: ErrorOut}, summary="One of the caller's imports, with its progress")
def get_import(request, job_id: DbId):
    return _job(request, job_id)


@router.get("/imports/{job_id}/errors", response={200: list[ImportErrorOut], 403: ErrorOut, 404: ErrorOut},
            summary="An import's errors by sheet, row and column")
@paginate(Pagination)
def import_errors(request, job_id: DbId):
    return _job(request, job_id).errors


@router.post("/imports/{job_id}/apply", response={202: ImportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Apply a valid dry run: checked again, then applied all or nothing by the worker")
def apply_import(request, job_id: DbId):
    job = _job(request, job_id)
    return Status(202, services.request_apply(request.user, job, request=request))

