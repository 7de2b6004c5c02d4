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
