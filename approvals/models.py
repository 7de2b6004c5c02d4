from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionSignature(models.Model):
    """The approver's signature over an approved record version (R-3.11): kept with what it signed, so anyone can verify it again."""

    version = models.OneToOneField("people.RecordVersion", on_delete=models.PROTECT, related_name="signature")
    payload_hash = models.CharField(max_length=64)  # SHA-256 of the canonical JSON that was signed
    previous_hash = models.CharField(max_length=64)  # the previous version's payload_hash: versions form a chain
    signature = models.BinaryField()  # detached CMS SignedData, DER
    signer_subject = models.CharField(_("signer"), max_length=500)
    signer_serial = models.CharField(max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("version signature")
        verbose_name_plural = _("version signatures")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("a signature is immutable")
        super().save(*args, **kwargs)


class ApprovalWindow(models.Model):
    """An approval round opened outside the last days of the month (R-7.1), by an administrator, for a reason."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))  # and the units under it
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    reason = models.TextField(_("reason"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "-pk"]
        verbose_name = _("extra approval round")
        verbose_name_plural = _("extra approval rounds")


class SigningBatch(models.Model):
    """Versions prepared for an external signer (a USB token's plugin, a remote signing service): the server keeps what
    is to be signed until the signer's tool returns the signatures, within APPROVAL_BATCH_MINUTES."""

    class State(models.TextChoices):
        PREPARED = "prepared", _("waiting for signatures")
        COMPLETED = "completed", _("signed")
        REFUSED = "refused", _("refused")

    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PREPARED)
    certificates = models.TextField()  # the signer's certificate first, then its chain (PEM)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    finished_at = models.DateTimeField(null=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class BatchItem(models.Model):
    """One version of a batch: what it will be, and the attribute bytes the signer signs."""

    batch = models.ForeignKey(SigningBatch, on_delete=models.CASCADE, related_name="items")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    change_set = models.ForeignKey("people.ChangeSet", on_delete=models.PROTECT, null=True, related_name="+")  # None: sign the current version
    token = models.CharField(max_length=80)  # the approval list's token for the item, as it was shown
    payload_hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    signed_attributes = models.BinaryField()

    class Meta:
        ordering = ["pk"]


class Rejection(models.Model):
    """Changes sent back to the person with a reason per field (R-7.2); kept as the history of the change set."""

    change_set = models.ForeignKey("people.ChangeSet", on_delete=models.PROTECT, related_name="rejections")
    reasons = models.JSONField(default=dict)  # field path ("section.field" or "section") -> what to correct
    note = models.TextField(_("note"), blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rejected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-rejected_at", "-pk"]
