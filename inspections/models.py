from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Inspection(models.Model):
    """An inspection of a unit in the inspector's scope (R-14.4), or by Sở Nội vụ (R-16.5): what was found, the measures
    proposed against the unit or a person of it, the unit's answers and the inspector's conclusion.

    open (waiting for the unit's answer, due 10 working days after recording) -> answered -> closed."""

    class Area(models.TextChoices):
        UPDATING = "updating", _("updating of the records")
        APPROVAL = "approval", _("approval of the records")
        MANAGEMENT = "management", _("management of the database")
        USE = "use", _("use of the data")

    class State(models.TextChoices):
        OPEN = "open", _("waiting for the answer")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("inspected unit"))
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="inspections",
                               verbose_name=_("person concerned"))
    area = models.CharField(_("area"), max_length=12, choices=Area.choices)
    inspected_on = models.DateField(_("inspected on"))
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    answer_due_on = models.DateField(_("answer due on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    conclusion = models.TextField(_("conclusion"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # the first answer
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [
            models.Index(fields=["unit", "state"], name="inspection_unit_state"),
            models.Index(fields=["state", "answer_due_on"], name="inspection_state_due"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_area_display()} ({self.inspected_on:%d/%m/%Y})"

    def is_overdue(self, today=None) -> bool:
        """Still waiting for the unit's answer after its due date."""
        return self.state == self.State.OPEN and (today or timezone.localdate()) > self.answer_due_on


class Measure(models.Model):
    """A measure proposed against the inspected unit or the person the findings concern; done when the unit says so."""

    class Target(models.TextChoices):
        UNIT = "unit", _("the unit")
        PERSON = "person", _("the person")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="measures")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("measure"))
    target = models.CharField(_("against"), max_length=8, choices=Target.choices, default=Target.UNIT)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["inspection", "position", "pk"]

    def __str__(self):
        return self.text


class InspectionAnswer(models.Model):
    """What the inspected unit answered: what it did, which measures are done."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    text = models.TextField(_("answer"))
    measures_done = models.JSONField(default=list)  # ids of the measures this answer reported done
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["inspection", "created_at", "pk"]
