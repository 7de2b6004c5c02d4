from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Packet(models.Model):
    """One signed record version on its way to the national database: the transactional outbox (R-11.1, R-11.3).

    Written in the approval's transaction; a worker sends it. The key makes a resend idempotent on the national side, and
    a person's version n+1 is sent only once version n is acknowledged."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent, acknowledgement awaited")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        REJECTED = "rejected", _("rejected")
        DEAD = "dead", _("stopped after failed attempts")

    # What an operator must act on (resend after fixing the cause).
    STUCK = ("rejected", "dead")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="packets")
    version = models.OneToOneField("people.RecordVersion", on_delete=models.PROTECT, related_name="packet")
    number = models.PositiveIntegerField(_("version"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    key = models.CharField(max_length=64, unique=True)  # idempotency key sent with the packet
    payload_hash = models.CharField(max_length=64)  # of the signed version: the body is rebuilt and checked against it
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(null=True)  # a worker that claimed it and died: after this, another resends it
    last_error = models.TextField(_("last error"), blank=True)
    receipt = models.CharField(_("national receipt"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True)
    acknowledged_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("packet")
        verbose_name_plural = _("packets")
        constraints = [models.UniqueConstraint(fields=["person", "number"], name="packet_person_number")]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="packet_due"),
            models.Index(fields=["unit", "state"], name="packet_unit_state"),
            models.Index(fields=["person", "number"], condition=~Q(state="acknowledged"), name="packet_unacknowledged"),
        ]


class Reconciliation(models.Model):
    """A comparison of what the province approved with what the national side acknowledged (R-11.1, R-18.4)."""

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
    checked = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]


class Difference(models.Model):
    """One record on which the two sides disagree."""

    class Kind(models.TextChoices):
        MISSING = "missing", _("missing on the national side")
        OUTDATED = "outdated", _("older version on the national side")
        REJECTED = "rejected", _("rejected by the national side")
        UNKNOWN = "unknown", _("on the national side but not approved here")

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="differences")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(_("difference"), max_length=10, choices=Kind.choices)
    ours = models.PositiveIntegerField(_("approved version here"), null=True)
    theirs = models.PositiveIntegerField(_("version on the national side"), null=True)
    reason = models.TextField(_("reason"), blank=True)
    resent_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["unit_id", "person_id", "pk"]
