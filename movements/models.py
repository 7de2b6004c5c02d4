from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Transfer(models.Model):
    """A person moved to another unit of the same authority by a decision (R-8.1), applied on its effective date."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        APPLIED = "applied", _("applied")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="transfers")
    from_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("from"))
    to_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    position = models.CharField(_("new position"), max_length=40, blank=True)  # catalog "position"; empty: none
    decision_number = models.CharField(_("decision number"), max_length=100)
    decision_date = models.DateField(_("decision date"))
    effective_on = models.DateField(_("effective on"))
    document = models.ForeignKey("people.Document", on_delete=models.PROTECT, related_name="+")  # the decision's scan
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.SCHEDULED)
    version = models.OneToOneField("people.RecordVersion", on_delete=models.PROTECT, null=True, related_name="transfer")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-effective_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state="scheduled"), name="one_scheduled_transfer_per_person"),
        ]
