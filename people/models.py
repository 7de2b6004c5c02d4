from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    """A cadre, civil servant, public employee or contract worker: the lasting identity behind the record's versions.

    The columns after `citizen_id_index` mirror the current record (the last approved version, or the first
    draft before any approval) so that search and statistics run in the database on indexed columns.
    """

    class Status(models.TextChoices):
        WORKING = "working", _("working")
        ON_LEAVE = "on_leave", _("on leave")
        TRANSFERRED_OUT = "transferred_out", _("transferred out")
        RETIRED = "retired", _("retired")
        RESIGNED = "resigned", _("resigned")
        DISMISSED = "dismissed", _("dismissed")
        DECEASED = "deceased", _("deceased")
        ARCHIVED = "archived", _("archived")

    # Statuses after which the record is read-only and kept in the archive.
    CLOSED = frozenset({"transferred_out", "retired", "resigned", "dismissed", "deceased", "archived"})

    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="people", verbose_name=_("unit"))
    # One personal account per person.
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="person", verbose_name=_("personal account"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WORKING)
    citizen_id_index = models.CharField(max_length=64, editable=False)
    version = models.PositiveIntegerField(_("approved version"), default=0)
    full_name = models.CharField(_("full name"), max_length=120)
    search_key = models.CharField(max_length=120, editable=False)
    birth_date = models.DateField(_("date of birth"), null=True)
    gender = models.CharField(_("sex"), max_length=8, blank=True)
    category = models.CharField(_("category"), max_length=16)
    ethnicity = models.CharField(_("ethnicity"), max_length=8, blank=True)
    rank = models.CharField(_("rank"), max_length=20, blank=True)
    professional_title = models.CharField(_("professional title"), max_length=20, blank=True)
    position = models.CharField(_("position"), max_length=40, blank=True)
    qualification = models.CharField(_("qualification"), max_length=16, blank=True)
    political_theory = models.CharField(_("political theory"), max_length=16, blank=True)
    state_management = models.CharField(_("state management"), max_length=16, blank=True)
    job_position = models.CharField(_("job position"), max_length=300, blank=True)
    party_member = models.BooleanField(_("party member"), default=False)
    completeness = models.PositiveSmallIntegerField(_("completeness (%)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["search_key", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["unit", "status"], name="person_unit_status"),
            models.Index(fields=["search_key", "id"], name="person_search_key"),
            models.Index(fields=["category", "status"], name="person_category_status"),
            models.Index(fields=["birth_date"], name="person_birth_date"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["citizen_id_index"], name="person_citizen_id_unique"),
            models.CheckConstraint(condition=Q(completeness__lte=100), name="person_completeness_percent"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED


class RecordVersion(models.Model):
    """An approved version of a record: immutable; a correction makes the next version.

    `content` holds the sections in clear; the fields configured as encrypted are in `sealed`.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    valid_from = models.DateField(_("valid from"))
    content = models.JSONField(default=dict)
    sealed = models.BinaryField()
    data_key = models.ForeignKey("common.DataKey", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    change_set = models.OneToOneField("ChangeSet", on_delete=models.PROTECT, null=True, related_name="version")
    approved_at = models.DateTimeField(_("approved at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["person", "number"]
        constraints = [models.UniqueConstraint(fields=["person", "number"], name="record_version_unique")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("an approved record version is immutable")
        super().save(*args, **kwargs)


class ChangeSet(models.Model):
    """Edits to a record by the person or an HR officer; they reach the record only when approved (R-3.12, R-6.5)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        WITHDRAWN = "withdrawn", _("withdrawn")

    OPEN = ("draft", "submitted")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="change_sets")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    base_version = models.PositiveIntegerField(_("based on version"))
    # Whole sections as they should become; sections not named stay as they are.
    content = models.JSONField(default=dict)
    sealed = models.BinaryField(null=True)
    data_key = models.ForeignKey("common.DataKey", on_delete=models.PROTECT, null=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True)
    decided_at = models.DateTimeField(null=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state__in=["draft", "submitted"]), name="one_open_change_set_per_person"),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN


class Document(models.Model):
    """A scanned document, stored once under its SHA-256 whatever its name (content-addressed)."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def storage_name(self) -> str:
        return f"documents/{self.sha256[:2]}/{self.sha256}"


class Attachment(models.Model):
    """A scanned proof of a change (R-6.4, R-6.5): which document backs which section of a change set."""

    change_set = models.ForeignKey(ChangeSet, on_delete=models.PROTECT, related_name="attachments")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="attachments")
    section = models.CharField(_("section"), max_length=32)
    label = models.CharField(_("description"), max_length=200)
    file_name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "pk"]


class StatusChange(models.Model):
    """The history of a person's status, each from a decision (R-4.1)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(_("status"), max_length=16, choices=Person.Status.choices)
    effective_on = models.DateField(_("effective on"))
    decision = models.CharField(_("decision"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["effective_on", "pk"]


class RecordCheck(models.Model):
    """The person confirms having checked their record and found it right (R-6.4, R-8.3c): the check asked of them when
    they receive their account, when nothing needs changing."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="checks")
    version = models.PositiveIntegerField(_("checked version"))
    checked_at = models.DateTimeField(auto_now_add=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_at", "-pk"]
