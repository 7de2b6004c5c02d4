from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Backup(models.Model):
    """One encrypted backup file of the database and the stored documents (R-10.1), with its manifest and the result of
    its verification by a restore into a scratch database (R-16.6)."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        PRUNED = "pruned", _("deleted by the retention policy")

    class Verification(models.TextChoices):
        OK = "ok", _("verified")
        FAILED = "failed", _("verification failed")

    file_name = models.CharField(_("file"), max_length=200, blank=True)  # relative to BACKUP_DIR
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, blank=True)  # blank while queued: chosen when it runs
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")  # None: the scheduler
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True)
    finished_at = models.DateTimeField(_("finished"), null=True)
    engine = models.CharField(max_length=20, blank=True)  # sqlite or postgresql
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)  # of the encrypted file
    key_id = models.CharField(_("key"), max_length=64, blank=True)
    manifest = models.JSONField(default=dict)  # tables with their row counts and content hashes, the documents' count and hash
    error = models.TextField(_("error"), blank=True)
    verification_requested_at = models.DateTimeField(null=True)  # a verification waits for the worker until verified_at passes it
    verified_at = models.DateTimeField(_("verified"), null=True)
    verification = models.CharField(_("verification"), max_length=10, choices=Verification.choices, blank=True)
    verification_message = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        indexes = [models.Index(fields=["state", "kind"], name="backup_state_kind")]

    def __str__(self):
        return self.file_name or f"#{self.pk}"

    @property
    def verification_pending(self) -> bool:
        requested = self.verification_requested_at
        return requested is not None and self.state == self.State.DONE and (self.verified_at is None or self.verified_at < requested)

    @classmethod
    def busy(cls) -> models.QuerySet:
        """Backups the worker has yet to make or verify."""
        pending = models.Q(state="done", verification_requested_at__isnull=False) & (
            models.Q(verified_at__isnull=True) | models.Q(verified_at__lt=models.F("verification_requested_at")))
        return cls.objects.filter(models.Q(state__in=["queued", "running"]) | pending)


class BackupCheck(models.Model):
    """A periodic check of the backups and the storage (R-16.6): who (or the scheduler) checked what, when, and the result."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("backup restored into a scratch database and compared")
        STORAGE = "storage", _("stored documents checked against the records")
        RESTORE = "restore", _("backup restored")

    class Result(models.TextChoices):
        OK = "ok", _("passed")
        FAILED = "failed", _("failed")

    checked_at = models.DateTimeField(_("when"), default=timezone.now)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")  # None: the scheduler
    kind = models.CharField(_("check"), max_length=20, choices=Kind.choices)
    backup = models.ForeignKey(Backup, on_delete=models.PROTECT, null=True, related_name="checks")
    subject = models.CharField(_("what was checked"), max_length=300)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    message = models.TextField(_("message"), blank=True)
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        verbose_name = _("backup check")
        verbose_name_plural = _("backup checks")
