"""The backups pages (R-10.1, R-13.2, R-16.6): the last backups with their sizes and verification results, the check
records, and for the officers of Sở Nội vụ in charge: back up now, verify, download the encrypted file."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import authz
from common.errors import ServiceError

from . import services
from .models import Backup, BackupCheck
from .tasks import waiting_nightly


def _can_operate(request) -> bool:
    return authz.can(request.user, "backups.operate")


@login_required
def backup_list(request):
    services.require_viewer(request.user)
    page = Paginator(Backup.objects.select_related("requested_by"), 50).get_page(request.GET.get("page"))
    return render(request, "backups/list.html", {
        "page": page, "overview": services.overview(), "checks": BackupCheck.objects.select_related("checked_by", "backup")[:10],
        "can_operate": _can_operate(request), "kinds": Backup.Kind.choices, "next_run": waiting_nightly(),
        "busy": Backup.busy().exists(),
        "keep": {"daily": settings.BACKUP_KEEP_DAILY, "weekly": settings.BACKUP_KEEP_WEEKLY, "monthly": settings.BACKUP_KEEP_MONTHLY}})


@login_required
def backup_detail(request, pk):
    services.require_viewer(request.user)
    backup = get_object_or_404(Backup, pk=pk)
    tables = sorted((backup.manifest.get("tables") or {}).items())
    return render(request, "backups/detail.html", {
        "backup": backup, "tables": tables, "rows": sum(t["rows"] for _name, t in tables),
        "documents": backup.manifest.get("documents") or {}, "checks": backup.checks.select_related("checked_by"),
        "can_operate": _can_operate(request)})


@login_required
def check_list(request):
    services.require_viewer(request.user)
    page = Paginator(BackupCheck.objects.select_related("checked_by", "backup"), 100).get_page(request.GET.get("page"))
    return render(request, "backups/checks.html", {"page": page})


@login_required
@require_POST
def start(request):
    services.require_operator(request.user, "backups.start", request)
    kind = request.POST.get("kind") or None
    try:
        services.start_backup(request.user, kind, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The backup runs in the background, then its verification; this page shows them when they end."))
    return redirect("backups:list")


@login_required
@require_POST
def verify(request, pk):
    services.require_operator(request.user, "backups.verify", request)
    backup = get_object_or_404(Backup, pk=pk)
    try:
        services.request_verification(request.user, backup, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The verification runs in the background: the backup is restored into a scratch database and compared "
                                    "with its manifest."))
    return redirect("backups:detail", pk) if request.POST.get("next") == "detail" else redirect("backups:list")


@login_required
def download(request, pk):
    services.require_operator(request.user, "backups.download", request)
    backup = get_object_or_404(Backup, pk=pk)
    try:
        path = services.download(request.user, backup, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("backups:detail", pk)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=backup.file_name, content_type="application/octet-stream")  # noqa: SIM115
