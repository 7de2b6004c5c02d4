"""Pages of the bulk import (R-9.1): the caller's imports with the upload form and the template, an import's progress and its
error report, the apply of a valid dry run."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import authz
from common.errors import ServiceError
from orgs.models import Unit
from orgs.services import unit_choices

from . import services
from .forms import UploadForm
from .models import ImportJob


def _job(request, pk) -> ImportJob:
    try:
        return services.job_for(request.user, pk)
    except ImportJob.DoesNotExist as exc:
        raise Http404(_("No such import.")) from exc


@login_required
def job_list(request):
    """The caller's imports, newest first, and the upload form; htmx asks again every two seconds while one is running."""
    authz.require(request.user, services.ACTION)
    units = unit_choices(authz.scope(request.user, services.ACTION), timezone.localdate())
    form = UploadForm(request.POST or None, request.FILES or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            unit_id = form.cleaned_data["unit"]
            try:
                job = services.start_import(request.user, form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"],
                                            unit=Unit.objects.get(pk=unit_id) if unit_id else None, request=request)
            except ServiceError as exc:
                exc.add_to_form(form)
            else:
                return redirect("imports:job", job.pk)
        status = 400
    page = Paginator(services.visible_jobs(request.user).select_related("unit"), 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "active": any(job.active for job in page), "max_rows": settings.IMPORT_MAX_ROWS}
    return render(request, "imports/_jobs.html" if request.htmx else "imports/list.html", context, status=status)


@login_required
@require_safe
def job_detail(request, pk):
    job = _job(request, pk)
    errors = Paginator(job.errors, 200).get_page(request.GET.get("page"))
    context = {"job": job, "errors": errors}
    return render(request, "imports/_job.html" if request.htmx else "imports/job.html", context)


@login_required
@require_safe
def errors_download(request, pk):
    job = _job(request, pk)
    response = HttpResponse(services.errors_csv(job), content_type=services.CONTENT_TYPES["csv"])
    response["Content-Disposition"] = content_disposition_header(True, f"loi-nhap-ho-so-{job.pk}.csv")
    return response


@login_required
@require_POST
def apply_job(request, pk):
    job = _job(request, pk)
    try:
        services.request_apply(request.user, job, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The file is checked again and applied in the background; this page shows the result when it ends."))
    return redirect("imports:job", job.pk)


@login_required
@require_safe
def template_download(request):
    """The template: an XLSX workbook of one sheet per section, or (?format=csv) the CSV file of the one-row sections."""
    authz.require(request.user, services.ACTION)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content = services.template_csv() if fmt == "csv" else services.template_workbook()
    response = HttpResponse(content, content_type=services.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"mau-nhap-ho-so.{fmt}")
    return response
