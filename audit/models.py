from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited action. Rows are only ever added (hash chaining and signed checkpoints come with the audit issue)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16, default="ok")  # ok | refused
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    unit_id = models.BigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        # A person's access history looks up the events of one object.
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object")]
