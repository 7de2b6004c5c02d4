from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalogs.models import CatalogEntry


class Unit(models.Model):
    """The lasting identity of a unit (đơn vị); what it is called and where it hangs lives in its versions."""

    class EndReason(models.TextChoices):
        MERGED = "merged", _("merged into another unit")
        CONSOLIDATED = "consolidated", _("consolidated into a new unit")
        SPLIT = "split", _("split into new units")
        DISSOLVED = "dissolved", _("dissolved")

    established_on = models.DateField(_("established on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=16, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        current = self.versions.order_by("-valid_from").first()
        return current.name if current else f"#{self.pk}"


class UnitVersion(models.Model):
    """What a unit was from valid_from until valid_to (exclusive); the open version is the current one."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="versions")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    parent = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    managing_body = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    # mã định danh điện tử, Decision 20/2020/QĐ-TTg
    code = models.CharField(_("identifier code"), max_length=13, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    search_key = models.CharField(max_length=300, editable=False)
    step = models.ForeignKey("ReorgStep", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["unit_id", "valid_from"]
        indexes = [
            models.Index(fields=["valid_to", "parent"], name="unitversion_open_parent"),
            models.Index(fields=["unit", "valid_from"], name="unitversion_unit_from"),
            models.Index(fields=["code"], name="unitversion_code"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(valid_to__isnull=True), name="one_open_version_per_unit"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True) & ~Q(code=""), name="open_unit_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name="unitversion_dates_in_order"
            ),
        ]

    def __str__(self):
        return self.name


class StaffingQuota(models.Model):
    """Biên chế: the number of posts a unit is given for a year and a person category."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="quotas")
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField(_("amount"))

    class Meta:
        ordering = ["unit_id", "year", "category__sort_order"]
        constraints = [models.UniqueConstraint(fields=["unit", "year", "category"], name="quota_unique")]


class JobPosition(models.Model):
    """Vị trí việc làm of a unit, with its validity."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="positions")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=300)
    category = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(_("number of posts"), default=1)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["unit_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], condition=Q(valid_to__isnull=True), name="open_position_code_unique")
        ]


class ReorgPlan(models.Model):
    """A reorganization: ordered steps applied together at one effective date, or not at all."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        APPLIED = "applied", _("applied")
        FAILED = "failed", _("failed")

    title = models.CharField(_("title"), max_length=300)
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    effective_date = models.DateField(_("effective date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class ReorgStep(models.Model):
    class Operation(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("change information")
        MOVE = "move", _("move under another parent")
        MERGE = "merge", _("merge (sáp nhập)")
        CONSOLIDATE = "consolidate", _("consolidate (hợp nhất)")
        SPLIT = "split", _("split (chia, tách)")
        DISSOLVE = "dissolve", _("dissolve (giải thể)")

    plan = models.ForeignKey(ReorgPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    operation = models.CharField(max_length=16, choices=Operation.choices)
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["plan_id", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="step_position_unique")]


class UnitSuccession(models.Model):
    """Predecessor -> successor link left by a merge, consolidation or split."""

    predecessor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="successor_links")
    successor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="predecessor_links")
    operation = models.CharField(max_length=16, choices=ReorgStep.Operation.choices)
    effective_date = models.DateField()
    step = models.ForeignKey(ReorgStep, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["effective_date", "id"]
