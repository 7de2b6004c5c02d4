import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """A day the government's announcement makes different from the `holidays` calendar: a swapped Saturday worked, an
    extra day off. Entered by Sở Nội vụ; deadlines counted in working days follow it."""

    day = models.DateField(_("day"), unique=True)
    working = models.BooleanField(_("working day"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]


class Obligation(models.Model):
    """A deadline of the regulation that applies to someone: created when its trigger happens (a record opened, an account
    issued, a change sent back, records awaiting the month's approval), met when what it asks is done. `key` makes its
    creation idempotent: recomputing finds the same obligation again."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("create the personal account")
        FIRST_ENTRY = "first_entry", _("check and complete one's record")
        CORRECTION = "correction", _("correct the changes sent back")
        APPROVAL = "approval", _("approve the unit's records of the month")
        ARRIVAL_REQUEST = "arrival_request", _("ask Sở Nội vụ to bring an arriving person's record in")
        ANNUAL_REPORT = "annual_report", _("report on the year's database management to Sở Nội vụ")
        MINISTRY_REPORT = "ministry_report", _("report on the year's database management to the Ministry of Home Affairs")
        INSPECTION_ANSWER = "inspection_answer", _("answer an inspection's findings")

    # Who must act: the person, the unit (its HR officers) or its head (and delegates).
    OWNER = {"account": "unit", "first_entry": "person", "correction": "person", "approval": "head", "arrival_request": "unit",
             "annual_report": "unit", "ministry_report": "unit", "inspection_answer": "unit"}
    RULE = {"account": "R-6.3", "first_entry": "R-6.4", "correction": "R-6.5", "approval": "R-7.1", "arrival_request": "R-8.3",
            "annual_report": "R-15.6", "ministry_report": "R-16.7", "inspection_answer": "R-14.4"}

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(_("obligation"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="obligations")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="obligations")
    start_on = models.DateField(_("since"))
    working_days = models.PositiveSmallIntegerField(null=True)  # None: a calendar deadline (the month's end)
    due_on = models.DateField(_("due on"))
    met_on = models.DateField(_("met on"), null=True)
    dropped_on = models.DateField(_("no longer due since"), null=True)  # the person left, the change was withdrawn
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["unit", "met_on"], name="obligation_unit_open"),
            models.Index(fields=["owner", "met_on"], name="obligation_owner_open"),
            models.Index(fields=["met_on", "due_on"], name="obligation_open_due"),
        ]

    @property
    def rule(self) -> str:
        return self.RULE[self.kind]

    @property
    def owner_kind(self) -> str:
        return self.OWNER[self.kind]

    def state(self, today) -> str:
        if self.dropped_on is not None:
            return "dropped"
        if self.met_on is not None:
            return "late" if self.met_on > self.due_on else "done"
        return "overdue" if today > self.due_on else "open"


class Reminder(models.Model):
    """One reminder of an obligation to one user at one stage: before the due date, on it, and after it escalating to the
    head and the body above. Unique, so a worker restarted mid-run never sends the same reminder twice; `emailed_at` is set
    once the e-mail left."""

    class Stage(models.TextChoices):
        SOON = "soon", _("due soon")
        DUE = "due", _("due today")
        OVERDUE = "overdue", _("overdue")
        HEAD = "head", _("overdue: escalated to the head")
        BODY = "body", _("overdue: escalated to the body above")

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reminders")
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True)
    read_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["obligation", "stage", "user"], name="one_reminder_per_stage_and_user")]
        indexes = [models.Index(fields=["user", "read_at"], name="reminder_user_unread")]


class UnitSnapshot(models.Model):
    """The state of a unit's own records on a day (people directly in it, not its sub-units): what the dashboards sum over
    a subtree and draw over the months (R-4.6, R-15.3, R-16.5). Written by the nightly run and on demand."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    computed_at = models.DateTimeField()
    working = models.PositiveIntegerField(default=0)  # working or on leave
    archived = models.PositiveIntegerField(default=0)  # closed records kept in the archive
    complete = models.PositiveIntegerField(default=0)  # working records with every field their category needs
    completeness_sum = models.PositiveBigIntegerField(default=0)
    signed = models.PositiveIntegerField(default=0)  # working records whose current version is signed
    drafts = models.PositiveIntegerField(default=0)  # changes being entered
    submitted = models.PositiveIntegerField(default=0)  # changes waiting for approval
    approved_month = models.PositiveIntegerField(default=0)  # versions signed this month
    rejected_month = models.PositiveIntegerField(default=0)  # changes sent back this month
    obligations_open = models.PositiveIntegerField(default=0)
    obligations_overdue = models.PositiveIntegerField(default=0)
    obligations_met_month = models.PositiveIntegerField(default=0)
    obligations_late_month = models.PositiveIntegerField(default=0)
    obligations_due_year = models.PositiveIntegerField(default=0)  # due from 1 January to the day, not dropped
    obligations_in_time_year = models.PositiveIntegerField(default=0)  # of those, met by their due date

    COUNTS = ("working", "archived", "complete", "completeness_sum", "signed", "drafts", "submitted", "approved_month", "rejected_month",
              "obligations_open", "obligations_overdue", "obligations_met_month", "obligations_late_month", "obligations_due_year",
              "obligations_in_time_year")

    class Meta:
        ordering = ["day", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="one_snapshot_per_unit_and_day")]
        indexes = [models.Index(fields=["day"], name="snapshot_day")]


class Finding(models.Model):
    """A contradiction the data-quality checks found (R-13.4, R-13.5), assigned to the unit responsible and tracked until a
    later run no longer finds it. `key` finds the same finding again on every run."""

    class Rule(models.TextChoices):
        DUPLICATE = "duplicate", _("possibly the same person twice (same name and date of birth)")
        PAST_RETIREMENT = "past_retirement", _("past the retirement age and still working")
        QUOTA_EXCEEDED = "quota_exceeded", _("more people at work than the staffing quota")
        RECORD_RULE = "record_rule", _("fields of the record contradict each other")

    RULE = {"duplicate": "R-13.4", "past_retirement": "R-13.5", "quota_exceeded": "R-13.4", "record_rule": "R-13.5"}

    key = models.CharField(max_length=80, unique=True)
    rule = models.CharField(_("check"), max_length=20, choices=Rule.choices)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit"))
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="findings")
    details = models.JSONField(default=dict)
    found_on = models.DateField(_("found on"))
    resolved_on = models.DateField(_("resolved on"), null=True)

    class Meta:
        ordering = ["resolved_on", "-found_on", "pk"]
        indexes = [models.Index(fields=["unit", "resolved_on"], name="finding_unit_open")]

    @property
    def requirement(self) -> str:
        return self.RULE[self.rule]

    @property
    def retires_on(self):
        return datetime.date.fromisoformat(self.details["retires_on"]) if "retires_on" in self.details else None


class RecordRuleCheck(models.Model):
    """The version of a record the rule checks last read, and when: a night reads only the records changed since, and
    those not read for a while (rules that depend on the day, such as an age)."""

    person = models.OneToOneField("people.Person", primary_key=True, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    checked_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["checked_on"], name="record_check_day")]


class ParFormula(models.Model):
    """The weights, in points out of 100, of the criteria the year's administrative-reform (PAR) ranking scores the units on
    (R-15.4, R-16.3, R-19.2); set by Sở Nội vụ for each year."""

    CRITERIA = ("completeness", "timeliness", "approval", "sync")
    DEFAULT = {"completeness": 30, "timeliness": 30, "approval": 25, "sync": 15}

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    completeness = models.PositiveSmallIntegerField(_("complete records"))
    timeliness = models.PositiveSmallIntegerField(_("deadlines met"))
    approval = models.PositiveSmallIntegerField(_("records approved"))
    sync = models.PositiveSmallIntegerField(_("records synced with the national database"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    @property
    def weights(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.CRITERIA}


class AnnualReport(models.Model):
    """A unit's yearly report on its database management to Sở Nội vụ (R-15.6, by 31 December), or Sở Nội vụ's report on the
    province to the Ministry of Home Affairs (R-16.7, by 31 January): figures generated from the data, the text written by
    the unit, editable until submitted."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")

    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    year = models.PositiveSmallIntegerField(_("year"))
    to_ministry = models.BooleanField(default=False)  # the province's report (the root unit's), else a unit's to Sở Nội vụ
    figures = models.JSONField(default=dict)
    generated_at = models.DateTimeField()
    assessment = models.TextField(_("overall assessment"), blank=True)
    difficulties = models.TextField(_("difficulties and problems"), blank=True)
    proposals = models.TextField(_("proposals"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    TEXTS = ("assessment", "difficulties", "proposals")

    class Meta:
        ordering = ["-year", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="one_annual_report_per_unit_and_year")]
