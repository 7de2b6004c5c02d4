from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited action. Rows are only ever added; the sealer links each into the hash chain (audit/chain.py)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16, default="ok")  # ok | refused
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    unit_id = models.BigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The place in the hash chain and SHA-256(previous entry's hash, this entry), both set once by the sealer.
    chain_index = models.BigIntegerField(null=True, blank=True, unique=True)
    entry_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        # A person's access history looks up the events of one object.
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
                   models.Index(fields=["actor", "at"], name="audit_event_actor"), models.Index(fields=["unit_id", "at"], name="audit_event_unit")]


class AuditCheckpoint(models.Model):
    """The chain's head at the end of a day, signed with the system's audit key: an entry changed, removed or slipped in
    before it no longer leads to the signed hash (`manage.py verify_audit`)."""

    made_at = models.DateTimeField(auto_now_add=True)
    chain_index = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    public_key = models.CharField(max_length=64, help_text="the Ed25519 public key, hex")
    signature = models.BinaryField()

    class Meta:
        ordering = ["-chain_index"]
