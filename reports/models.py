import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedSearch(models.Model):
    """A user's named set of filters, for the people list or for statistics; only its owner sees it."""

    class Kind(models.TextChoices):
        PEOPLE = "people", _("people list")
        STATISTICS = "statistics", _("statistics")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    query = models.JSONField(_("filters"), default=dict)  # the page's query parameters, as the page reads them
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "kind", "name"], name="saved_search_unique")]

    def __str__(self):
        return self.name


def _download_token() -> str:
    return secrets.token_urlsafe(24)


class ExportJob(models.Model):
    """A list or report written to a file by the background worker; the file is downloaded by its requester only."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")  # the file is deleted after EXPORT_KEEP_DAYS; the row stays for the history

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("what is exported"), max_length=40)
    query = models.JSONField(_("filters"), default=dict)
    columns = models.JSONField(_("columns"), default=list)  # the columns written: only those the requester was cleared for
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("rows"), null=True)
    done = models.PositiveIntegerField(_("rows written"), default=0)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    storage_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    language = models.CharField(max_length=16, blank=True)  # the requester's, for the column headers written by the worker
    token = models.CharField(max_length=40, default=_download_token, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def expires_at(self):
        """When the file is deleted (EXPORT_KEEP_DAYS after it was written)."""
        return self.finished_at + datetime.timedelta(days=settings.EXPORT_KEEP_DAYS) if self.finished_at else None

    @property
    def progress(self) -> int:
        """Percent written, for the progress bar."""
        if self.state == self.State.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


class SignedExport(models.Model):
    """A document exported for official use and signed as PDF by the competent person and the agency's seal (R-9.5).

    The code is printed under the QR code and finds this row on the public verification page; the stored copy is the
    signed file itself, so a copy handed in can be compared byte for byte."""

    class Kind(models.TextChoices):
        RESUME = "resume", _("résumé")
        STAFF_LIST = "staff_list", _("staff list")
        REPORT = "report", _("statistical report")

    code = models.CharField(_("verification code"), max_length=32, unique=True)
    kind = models.CharField(_("document"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("issuing unit"))
    subject = models.JSONField(default=dict)  # what was exported (person id, unit id, form and date), for the audit and a re-issue
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signed by"), max_length=300)
    seal_name = models.CharField(_("agency seal"), max_length=300)
    signed_at = models.DateTimeField(_("signed at"))
    storage_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def __str__(self):
        return self.title
