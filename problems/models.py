from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemReport(models.Model):
    """A problem someone reports to Sở Nội vụ in writing (R-19.5), tracked until it is closed. `unit` is the reporter's unit
    when filed: the handlers whose scope holds it see and answer the report."""

    class Category(models.TextChoices):
        DATA = "data", _("a data error in a record")
        SOFTWARE = "software", _("a software fault")
        ACCESS = "access", _("an account or access problem")
        OTHER = "other", _("something else")

    class State(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="problem_reports",
                                 verbose_name=_("reported by"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    category = models.CharField(_("kind of problem"), max_length=16, choices=Category.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.NEW)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "state"], name="problem_unit_state"),
            models.Index(fields=["reporter", "created_at"], name="problem_reporter"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"


class ProblemMessage(models.Model):
    """One message of a report's conversation: the report itself, the reporter's additions, the handlers' answers.
    `internal` notes are between handlers and not shown to the reporter."""

    report = models.ForeignKey(ProblemReport, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class ProblemAttachment(models.Model):
    """A scan or screenshot sent with a message, stored once as a document (PDF, JPEG or PNG)."""

    message = models.ForeignKey(ProblemMessage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("people.Document", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file name"), max_length=200)

    class Meta:
        ordering = ["pk"]
