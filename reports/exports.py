"""People lists written to XLSX, CSV or PDF files (R-3.13, R-9.3).

The filters are the people list's (people.forms.search_query), so a file holds what the page shows; only the columns the
requester is cleared for are written (R-4.3) and every export is audited when asked for and when written. Small lists are
written during the request, larger ones by the worker (reports.tasks). Rows stream from one query into the writer, so
100,000 rows need little more memory than 2,000; the file is written aside and reaches the storage only when complete.
"""

import csv
import datetime
import hashlib
import logging
import os
import tempfile

import xlsxwriter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import authz
from audit.services import record as audit
from audit.services import record_refusal
from common.crypto import blind_index
from common.errors import ServiceError
from common.text import as_id
from orgs.services import versions_on
from people.forms import SearchForm, search_query
from people.models import Person
from people.services import CatalogNames, search_clearance, search_people

from .columns import BY_KEY, Column, cleared_columns
from .list_pdf import ListPdf
from .models import ExportJob

logger = logging.getLogger(__name__)

ACTION = "reports.export"
SOURCES = ("people",)
SYNC_ROWS = 2000  # at most this many rows are written during the request; more go to the worker
PDF_ROWS = 20_000  # a longer PDF is of no use on paper, and slow to lay out
CHUNK = 2000  # rows fetched from the database at a time
PROGRESS_EVERY = 5000  # rows written between two updates of the job's progress
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8",
                 "pdf": "application/pdf"}
XLSX_WIDTHS = {"full_name": 28, "birth_date": 12, "gender": 8, "unit": 40, "job_position": 36, "party_member": 10, "completeness": 12}
# Relative widths in the PDF, so that a date never wraps and names and units get the room.
PDF_WEIGHTS = {"full_name": 3.2, "birth_date": 2.3, "gender": 1.2, "unit": 4, "category": 1.8, "position": 2.4, "job_position": 3.2,
               "rank": 2.4, "professional_title": 2.6, "qualification": 2, "political_theory": 2, "state_management": 2.2,
               "ethnicity": 1.6, "party_member": 1.4, "status": 1.8, "completeness": 2.1}


def _filters(params) -> dict[str, list[str]]:
    """The people list's filters among the parameters (no page number, no form fields of the export), non-empty ones only."""
    if not isinstance(params, QueryDict):
        query = QueryDict(mutable=True)
        for key, value in (params or {}).items():
            query.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else ["" if value is None else str(value)])
        params = query
    return {name: values for name in SearchForm.base_fields if (values := [v for v in params.getlist(name) if v != ""])}


def _params(filters: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        query.setlist(name, values)
    return query


def choose_columns(user, wanted: list[str] | None) -> list[Column]:
    """The columns asked for (by default all) that the user is cleared for; asking for one above clearance is refused."""
    cleared = cleared_columns(search_clearance(user))
    if wanted is None:
        return cleared
    if not wanted:
        raise ServiceError(_("Columns: choose at least one column."), "columns")
    for key in wanted:
        if key not in BY_KEY:
            raise ServiceError(_("Columns: there is no column “%(column)s”.") % {"column": key}, "columns")
        if BY_KEY[key] not in cleared:
            raise ServiceError(_("Columns: you are not cleared to export “%(column)s”.") % {"column": BY_KEY[key].label}, "columns")
    return [column for column in cleared if column.key in wanted]


def _audited(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """The filters as the audit keeps them: a citizen ID searched for by its blind index, never in clear."""
    text = "".join(filters.get("q", [])).strip()
    return {**filters, "q": [f"citizen_id:{blind_index(text)}"]} if text.isdigit() and len(text) == 12 else filters


def _details(job: ExportJob, **extra) -> dict:
    return {"source": job.source, "format": job.format, "columns": job.columns, "filters": _audited(job.query), **extra}


def request_export(user, *, source: str = "people", params, columns: list[str] | None = None, format: str, request=None) -> ExportJob:
    """Check the export now (rights, filters, columns, size), then write it: at once when small, by the worker otherwise."""
    authz.require(user, "reports.export")
    filters = _filters(params)
    try:
        if source not in SOURCES:
            raise ServiceError(_("What is exported: only the people list can be exported."), "source")
        if format not in ExportJob.Format.values:
            raise ServiceError(_("Format: choose XLSX, CSV or PDF."), "format")
        people = search_people(user, search_query(_params(filters), user))
        chosen = choose_columns(user, columns)
        total = people.count()
        if format == ExportJob.Format.PDF and total > PDF_ROWS:
            raise ServiceError(_("Format: a PDF holds at most %(limit)s rows and this list has %(count)s. Export it as XLSX instead, "
                                 "or narrow the filters.") % {"limit": f"{PDF_ROWS:,}".replace(",", "."),
                                                              "count": f"{total:,}".replace(",", ".")}, "format")
    except ServiceError as exc:
        record_refusal(user, ACTION, reason=exc.message, details={"source": source, "format": format, "filters": _audited(filters)},
                       request=request)
        raise
    job = ExportJob.objects.create(requested_by=user, source=source, query=filters, columns=[c.key for c in chosen], format=format,
                                   total=total, language=translation.get_language() or settings.LANGUAGE_CODE)
    job.file_name = f"danh-sach-{timezone.localdate():%Y%m%d}-{job.pk}.{format}"
    job.save(update_fields=["file_name"])
    audit(user, ACTION, obj=job, details=_details(job, rows=total, stage="requested"), request=request)
    if total <= SYNC_ROWS:
        produce(job)
    else:
        from .tasks import write_export

        transaction.on_commit(lambda: write_export.enqueue(job.pk))
    return job


def produce(job: ExportJob) -> ExportJob:
    """Write the job's file as its requester may see the data now; a failure leaves the job failed and no file behind."""
    job.state, job.done = ExportJob.State.RUNNING, 0
    job.save(update_fields=["state", "done"])
    user = job.requested_by
    authz.forget(user)  # rights are judged when the file is written, not when it was asked for
    path, stored = None, ""
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            columns, rows = _rows(job)
            handle, path = tempfile.mkstemp(suffix=f".{job.format}")
            os.close(handle)
            WRITERS[job.format](path, columns, _counted(rows, job), job)
            job.sha256, job.size = _digest(path)
            with open(path, "rb") as source:
                stored = default_storage.save(f"exports/{job.token}.{job.format}", File(source))
            job.storage_name, job.state, job.finished_at = stored, ExportJob.State.DONE, timezone.now()
            job.save()
            audit(user, ACTION, obj=job, details=_details(job, rows=job.done, stage="done", sha256=job.sha256))
        except Exception as exc:  # whatever broke, the job ends failed and says so in words for its requester
            if stored:
                default_storage.delete(stored)
            if isinstance(exc, ServiceError | PermissionDenied):
                job.error = str(exc)
            else:
                logger.exception("export %s failed", job.pk)
                job.error = _("The file could not be written. Try again later; if it fails again, report the problem.")
            job.state, job.storage_name, job.finished_at = ExportJob.State.FAILED, "", timezone.now()
            job.save()
            audit(user, ACTION, obj=job, outcome="failed", details=_details(job, rows=job.done, stage="failed"))
        finally:
            if path:
                os.unlink(path)
    return job


def _rows(job: ExportJob):
    """The columns still cleared and the rows (lists of display values) of the job's filters, streamed from the database."""
    user = job.requested_by
    people = search_people(user, search_query(_params(job.query), user))
    if job.query.get("order") == ["completeness"]:  # the page's order, as the people list sorts it
        people = people.order_by("completeness", "search_key", "pk")
    columns = [column for column in cleared_columns(search_clearance(user)) if column.key in job.columns]
    if not columns:
        raise ServiceError(_("Columns: you are no longer cleared for any of the columns asked for."), "columns")
    job.columns, job.total = [c.key for c in columns], people.count()
    job.save(update_fields=["columns", "total"])
    names = _Names()
    convert = [_converter(column, names) for column in columns]
    fetched = people.values_list(*[column.source or column.key for column in columns]).iterator(chunk_size=CHUNK)
    return columns, ([fn(value) for fn, value in zip(convert, row, strict=True)] for row in fetched)


class _Names:
    """Catalog and unit names, each read once per export."""

    def __init__(self):
        self.catalogs = CatalogNames()
        self._units = None

    def unit(self, unit_id) -> str:
        if self._units is None:
            self._units = dict(versions_on(timezone.localdate()).values_list("unit_id", "name"))
        return self._units.get(unit_id)


def _converter(column: Column, names: _Names):
    """The function that turns a column's stored value into what the file shows: names for codes, dates kept as dates,
    None for nothing (an empty cell, which a spreadsheet writes fastest)."""
    if column.catalog:
        return lambda code: names.catalogs.name(column.catalog, code) if code else None
    if column.key == "unit":
        return names.unit
    if column.key == "party_member":
        yes, no = _("yes"), _("no")
        return lambda value: yes if value else no
    if column.key == "status":
        labels = {code: str(label) for code, label in Person.Status.choices}
        return lambda code: labels.get(code, code)
    return lambda value: None if value == "" else value


def _counted(rows, job: ExportJob):
    """The rows, counted into the job every PROGRESS_EVERY rows so that its page shows the progress."""
    done = 0
    for done, row in enumerate(rows, 1):
        yield row
        if done % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job.pk).update(done=done)
    job.done = done


def _digest(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_xlsx(path: str, columns: list[Column], rows, job: ExportJob) -> None:
    """Rows go to disk as they come (constant_memory); text is never read as a formula, a number or a link."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "default_date_format": "dd/mm/yyyy", "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(_("People")[:31])
    for index, column in enumerate(columns):
        sheet.set_column(index, index, XLSX_WIDTHS.get(column.key, 20))
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, [str(column.label) for column in columns], book.add_format({"bold": True}))
    last = 0
    for last, row in enumerate(rows, 1):
        sheet.write_row(last, 0, row)
    sheet.autofilter(0, 0, last, len(columns) - 1)
    book.close()


def _csv_cell(value):
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet opening the file must not run a cell as a formula
    return value


def write_csv(path: str, columns: list[Column], rows, job: ExportJob) -> None:
    """UTF-8 with a byte-order mark, so that Excel reads the Vietnamese text right; comma-separated, quoted where needed."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([str(column.label) for column in columns])
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])


def write_pdf(path: str, columns: list[Column], rows, job: ExportJob) -> None:
    """A landscape A4 table under a title saying what the list is and when it was printed."""
    today = timezone.localdate()
    pdf = ListPdf([_("No. in list"), *[str(column.label) for column in columns]], [0.9, *[PDF_WEIGHTS[c.key] for c in columns]],
                  footer_text=_("Printed on %(day)s") % {"day": f"{today:%d/%m/%Y}"}, size=8 if len(columns) <= 8 else 7)
    pdf.set_title(_("People list"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, _("People list"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 5, _("%(count)s people, as of %(day)s") % {"count": job.total, "day": f"{today:%d/%m/%Y}"}, align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.start_table()
    for number, row in enumerate(rows, 1):
        pdf.row([number, *[f"{value:%d/%m/%Y}" if isinstance(value, datetime.date) else value for value in row]])
    pdf.output(path)


WRITERS = {"xlsx": write_xlsx, "csv": write_csv, "pdf": write_pdf}


def describe_filters(filters: dict[str, list[str]], names: CatalogNames | None = None) -> str:
    """The filters in words ("Category: Công chức, Sex: Nữ"), codes by their catalog names."""
    names = names or CatalogNames()
    choices = {"status": {code: str(label) for code, label in Person.Status.choices}, "party_member": {"true": _("yes"), "false": _("no")},
               "order": {"completeness": _("least complete first")}}
    parts = []
    for name, values in filters.items():
        if name == "unit":
            units = dict(versions_on(timezone.localdate()).filter(unit_id__in=[pk for v in values if (pk := as_id(v))]).values_list("unit_id", "name"))
            parts.append(f"{_('Unit')}: {', '.join(units.get(as_id(v), v) for v in values)}")
            continue
        catalog = SearchForm.CATALOGS.get(name)
        shown = [names.name(catalog, v) if catalog else choices.get(name, {}).get(v, v) for v in values]
        parts.append(f"{SearchForm.base_fields[name].label}: {', '.join(shown)}")
    return "; ".join(parts) or _("everyone in your scope")


def downloadable(job: ExportJob) -> bool:
    return job.state == ExportJob.State.DONE and bool(job.storage_name) and job.expires_at > timezone.now()


def open_file(user, job: ExportJob, request=None):
    """The job's file for its requester (others never learn it exists), the download audited."""
    if job.requested_by_id != getattr(user, "pk", None) or not downloadable(job):
        raise ExportJob.DoesNotExist
    audit(user, "reports.export_download", obj=job, details=_details(job, rows=job.done), request=request)
    return default_storage.open(job.storage_name, "rb")


def expire_exports(now: datetime.datetime | None = None) -> int:
    """Delete the files written more than EXPORT_KEEP_DAYS ago; the jobs stay, marked expired, for the history.
    Jobs a stopped worker left unfinished for a day end failed, so their requester is told to ask again."""
    now = now or timezone.now()
    ExportJob.objects.filter(state__in=[ExportJob.State.QUEUED, ExportJob.State.RUNNING], created_at__lt=now - datetime.timedelta(days=1)) \
        .update(state=ExportJob.State.FAILED, finished_at=now, error=_("The file could not be written. Try again later; if it fails again, "
                                                                       "report the problem."))
    cutoff = now - datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)
    expired = 0
    for job in ExportJob.objects.filter(state=ExportJob.State.DONE, finished_at__lt=cutoff):
        if job.storage_name:
            default_storage.delete(job.storage_name)
        job.state, job.storage_name = ExportJob.State.EXPIRED, ""
        job.save(update_fields=["state", "storage_name"])
        expired += 1
    return expired
