from django.db import models
from django.utils.translation import gettext_lazy as _


class DataKey(models.Model):
    """A data key for encrypted fields, stored only wrapped (AES-GCM) by a master key from the environment (R-4.3, R-16.4)."""

    wrapped = models.BinaryField()
    master_key_id = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    # Rows sealed under a retired key are re-encrypted by `rotate_keys`; the key stays until none uses it.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
