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


class Arrival(models.Model):
    """A person arriving from outside the receiving unit's authority (R-8.3, R-8.4): the unit asks Sở Nội vụ in writing,
    within 10 working days of the handover, to bring the record in; Sở Nội vụ decides and brings it in, then the account,
    the person's check and the monthly approval follow, each with its deadline."""

    class Origin(models.TextChoices):
        MINISTRY = "ministry", _("a ministry or central agency")
        PROVINCE = "province", _("another province or city")
        OUTSIDE_AUTHORITY = "outside_authority", _("a unit of this province outside our authority")
        PARTY = "party", _("the Party or a mass organization")
        OTHER_SYSTEM = "other_system", _("a system that cannot share data")

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved by Sở Nội vụ")
        REFUSED = "refused", _("refused by Sở Nội vụ")
        BROUGHT_IN = "brought_in", _("record brought in")

    OPEN = ("requested", "approved")

    to_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving unit"))
    origin = models.CharField(_("coming from"), max_length=20, choices=Origin.choices)
    origin_agency = models.CharField(_("sending agency"), max_length=300)
    full_name = models.CharField(_("full name"), max_length=120)
    birth_date = models.DateField(_("date of birth"))
    citizen_id_index = models.CharField(max_length=64, editable=False)
    # The citizen ID itself, encrypted: Sở Nội vụ asks the national database for the record by it.
    sealed = models.BinaryField()
    data_key = models.ForeignKey("common.DataKey", on_delete=models.PROTECT, related_name="+")
    handover_on = models.DateField(_("record handed over on"))
    request_number = models.CharField(_("written request number"), max_length=100)
    request_date = models.DateField(_("written request date"))
    document = models.ForeignKey("people.Document", on_delete=models.PROTECT, related_name="+")  # the written request's scan
    due_on = models.DateField(_("request due by"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True)
    reason = models.TextField(_("reason"), blank=True)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="arrivals")
    brought_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    brought_in_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["citizen_id_index"], condition=Q(state__in=["requested", "approved"]),
                                    name="one_open_arrival_per_person"),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN
