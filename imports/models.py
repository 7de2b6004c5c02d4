from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One uploaded file of legacy records and what became of it (R-9.1).

    The file's bytes are kept in the row (in the same database and transaction as the job, so nothing is left behind by a
    refused or rolled-back upload) until the job ends; then only its SHA-256 and size remain, with the error report."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded, waiting for the worker")
        VALIDATING = "validating", _("validating")
        VALID = "valid", _("valid, not applied")
        INVALID = "invalid", _("has errors, nothing applied")
        APPLYING = "applying", _("applying")
        APPLIED = "applied", _("applied")
        FAILED = "failed", _("failed, nothing applied")

    ACTIVE = ("uploaded", "validating", "applying")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Where a row goes when its unit column is empty.
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    file_name = models.CharField(_("file name"), max_length=200)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(default=b"", editable=False)
    dry_run = models.BooleanField(_("dry run"), default=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.UPLOADED)
    rows_total = models.PositiveIntegerField(_("rows"), null=True)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    errors = models.JSONField(_("errors"), default=list)  # [{"sheet", "row", "column", "message"}]
    people_created = models.PositiveIntegerField(_("people created"), default=0)
    language = models.CharField(max_length=16, blank=True)  # the uploader's, for the messages written by the worker
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return self.file_name

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def progress(self) -> int:
        """Percent of the rows checked, for the progress bar."""
        if self.state in (self.State.VALID, self.State.INVALID, self.State.APPLIED, self.State.FAILED):
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    @property
    def error_count(self) -> int:
        return len(self.errors)
