"""Pages of the exports (R-3.13, R-9.3): asking for a file from the people list, the requester's jobs with their progress,
the download, and the printed staff list of a unit."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import authz
from common.errors import ServiceError
from people.services import CatalogNames

from . import exports
from .columns import BY_KEY
from .models import ExportJob
from .staff_list import staff_list_pdf

ACTIVE = (ExportJob.State.QUEUED, ExportJob.State.RUNNING)


def _shown(job: ExportJob, names: CatalogNames) -> ExportJob:
    """The job with what its templates show: the filters in words and whether the file can be downloaded."""
    job.filters_text = exports.describe_filters(job.query, names)
    job.can_download = exports.downloadable(job)
    job.active = job.state in ACTIVE
    return job


def _jobs_page(request, error: str | None = None, back: str = "", status: int = 200):
    page = Paginator(ExportJob.objects.filter(requested_by=request.user), 25).get_page(request.GET.get("page"))
    names = CatalogNames()
    for job in page:
        _shown(job, names)
    context = {"page": page, "active": any(job.active for job in page), "error": error, "back": back,
               "keep_days": settings.EXPORT_KEEP_DAYS}
    template = "reports/exports_rows.html" if request.htmx else "reports/exports.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def export_create(request):
    """The people list's buttons: its query string, the format and the columns chosen; back to the list's page on an error."""
    authz.require(request.user, "reports.export")
    query = request.POST.get("query", "")
    columns = request.POST.getlist("columns") if request.POST.get("choose") else None
    try:
        job = exports.request_export(request.user, params=QueryDict(query), columns=columns, format=request.POST.get("format", ""),
                                     request=request)
    except ServiceError as exc:
        return _jobs_page(request, exc.message, back=reverse("people:list") + ("?" + query if query else ""), status=400)
    return redirect("reports:export", job.pk)


@login_required
@require_safe
def export_list(request):
    """The requester's export jobs, newest first; htmx asks again every two seconds while one is being written."""
    authz.require(request.user, "reports.export")
    return _jobs_page(request)


@login_required
@require_safe
def export_detail(request, pk):
    authz.require(request.user, "reports.export")
    job = _shown(get_object_or_404(ExportJob, pk=pk, requested_by=request.user), CatalogNames())
    context = {"job": job, "columns": [BY_KEY[key].label for key in job.columns if key in BY_KEY]}
    template = "reports/exports_progress.html" if request.htmx else "reports/exports_detail.html"
    return render(request, template, context)


@login_required
@require_safe
def export_download(request, pk):
    """The file, for its requester only, while it is kept; the download is audited."""
    authz.require(request.user, "reports.export")
    job = get_object_or_404(ExportJob, pk=pk, requested_by=request.user)
    try:
        handle = exports.open_file(request.user, job, request=request)
    except ExportJob.DoesNotExist as exc:
        raise Http404(_("The file is not ready, or it was deleted.")) from exc
    return FileResponse(handle, as_attachment=True, filename=job.file_name, content_type=exports.CONTENT_TYPES[job.format])


@login_required
@require_safe
def staff_list(request, unit_id):
    rendered = staff_list_pdf(request.user, unit_id, request=request)
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"danh-sach-can-bo-{unit_id}-{timezone.localdate():%Y%m%d}.pdf")
    return response
