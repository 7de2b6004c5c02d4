"""Problems reported to Sở Nội vụ in writing, and tracked until closed (R-19.5).

Anyone logged in files a report and reads their own; the handlers (action "problems.handle", Sở Nội vụ) see the reports of
the units in their scope, answer them and move them through new → in progress → answered → closed. The reporter adds
information (an answered report goes back in progress) and may close their own. Every write is audited; refusals too.
"""

import os

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import authz
from accounts.models import Role, RoleGrant
from audit.services import record as audit
from audit.services import record_refusal, refuse, refusing
from common.errors import ServiceError
from common.links import public_url
from common.text import nfc
from people.services import stored_document

from .models import ProblemAttachment, ProblemMessage, ProblemReport

State = ProblemReport.State
HANDLE = "problems.handle"
SUBJECT_MAX = 200
TEXT_MAX = 10_000
FILES_MAX = 10
# Where a handler may move a report; "answered" comes from writing the answer.
TRANSITIONS = {
    State.NEW: {State.IN_PROGRESS, State.CLOSED},
    State.IN_PROGRESS: {State.CLOSED},
    State.ANSWERED: {State.IN_PROGRESS, State.CLOSED},
    State.CLOSED: {State.IN_PROGRESS},
}


# ---- who sees, who handles ----

def visible_reports(user):
    """The user's own reports, and for handlers every report of the units in their scope; newest first."""
    reports = ProblemReport.objects.select_related("reporter", "unit")
    own = reports.filter(reporter=user)
    allowed = authz.scope(user, HANDLE)
    return (own | allowed.filter(reports)) if allowed else own


def handles_any(user) -> bool:
    """Does the user handle some unit's reports (the list shows them the filter by state)?"""
    return bool(authz.scope(user, HANDLE))


def is_handler(user, report: ProblemReport) -> bool:
    """Does the user handle this report (Sở Nội vụ over the reporter's unit)? A report without a unit is the whole
    province's handlers'."""
    allowed = authz.scope(user, HANDLE)
    return allowed.everything or (report.unit_id is not None and report.unit_id in allowed)


def can_see(user, report: ProblemReport) -> bool:
    return report.reporter_id == user.pk or is_handler(user, report)


def get_visible(user, pk: int) -> ProblemReport:
    """The report, if the user may see it: 404 when there is none, PermissionDenied when it is someone else's."""
    report = get_object_or_404(ProblemReport.objects.select_related("reporter", "unit"), pk=pk)
    if not can_see(user, report):
        raise PermissionDenied(_("You are not allowed to see this problem report."))
    return report


def conversation(user, report: ProblemReport):
    """The report's messages with their attachments, oldest first; internal notes only for handlers."""
    found = report.messages.select_related("author").prefetch_related("attachments__document")
    return found if is_handler(user, report) else found.filter(internal=False)


def visible_attachment(user, report: ProblemReport, attachment_id: int) -> ProblemAttachment:
    """An attachment of a report the user sees (get_visible first); 404 when it belongs to another report or to a note the
    user may not read."""
    found = ProblemAttachment.objects.select_related("document", "message").filter(message__report=report)
    if not is_handler(user, report):
        found = found.filter(message__internal=False)
    return get_object_or_404(found, pk=attachment_id)


def allowed_states(user, report: ProblemReport) -> list[str]:
    """The states the user may move the report to now (the buttons the page shows)."""
    if is_handler(user, report):
        return [state for state in State.values if state in TRANSITIONS[report.state]]
    if report.reporter_id == user.pk and report.state != State.CLOSED:
        return [State.CLOSED]
    return []


def handlers(report: ProblemReport) -> list:
    """The users who handle the report now: holders of a grant of "problems.handle" reaching its unit."""
    roles = [role.pk for role in Role.objects.all() if HANDLE in role.actions]
    today = timezone.localdate()
    candidates = {grant.user for grant in RoleGrant.objects.filter(role__in=roles, revoked_at__isnull=True, read_only=False,
                                                                   valid_from__lte=today).exclude(valid_to__lte=today).select_related("user")}
    return sorted((user for user in candidates if user.usable and is_handler(user, report)), key=lambda user: user.pk)


# ---- writing ----

def _deny(actor, action: str, report: ProblemReport | None, request) -> None:
    record_refusal(actor, action, reason="out of scope", unit_id=report.unit_id if report else None,
                   details={"report": report.pk} if report else None, request=request)
    raise PermissionDenied(_("You are not allowed to do this for this problem report."))


def _text_problem(text: str) -> tuple[str, str] | None:
    if not text:
        return _("Message: write the message."), "text"
    if len(text) > TEXT_MAX:
        return _("Message: at most %(count)s characters.") % {"count": TEXT_MAX}, "text"
    return None


def _uploads_problem(uploads) -> tuple[str, str] | None:
    if len(uploads) > FILES_MAX:
        return _("Files: at most %(count)s files with one message.") % {"count": FILES_MAX}, "files"
    return None


def _attach(message: ProblemMessage, uploads) -> list[ProblemAttachment]:
    """Store the uploads (checked by content: PDF, JPEG or PNG) and attach them; ServiceError names the files field."""
    attached = []
    for upload in uploads:
        try:
            document = stored_document(upload)
        except ServiceError as exc:
            raise ServiceError(exc.message, "files") from exc
        name = nfc(os.path.basename(upload.name or "")) or document.sha256[:12]
        attached.append(ProblemAttachment.objects.create(message=message, document=document, file_name=name[:200]))
    return attached


def file_report(actor, *, category: str, subject: str, description: str, uploads=(), request=None) -> ProblemReport:
    """Report a problem to Sở Nội vụ in writing, with scans or screenshots if any (R-19.5); the handlers are told by e-mail."""
    action = "problems.file"
    subject, description, uploads = nfc(subject), nfc(description), list(uploads or ())
    unit_id = getattr(actor, "unit_id", None)
    problem = None
    if category not in ProblemReport.Category.values:
        problem = (_("Kind of problem: choose one of the kinds offered."), "category")
    elif not subject:
        problem = (_("Subject: enter what the problem is about."), "subject")
    elif len(subject) > SUBJECT_MAX:
        problem = (_("Subject: at most %(count)s characters.") % {"count": SUBJECT_MAX}, "subject")
    elif not description:
        problem = (_("Description: describe the problem: what you did, what you expected, what happened."), "description")
    elif len(description) > TEXT_MAX:
        problem = (_("Description: at most %(count)s characters.") % {"count": TEXT_MAX}, "description")
    else:
        problem = _uploads_problem(uploads)
    if problem:
        refuse(actor, action, *problem, unit_id, request)
    with refusing(actor, action, unit_id, request):
        report = ProblemReport.objects.create(reporter=actor, unit_id=unit_id, category=category, subject=subject, description=description)
        message = ProblemMessage.objects.create(report=report, author=actor, text=description)
        attached = _attach(message, uploads)
        audit(actor, action, obj=report, unit_id=unit_id, request=request,
              details={"category": category, "attachments": [a.document.sha256 for a in attached]})
        transaction.on_commit(lambda: notify_filed(report))
    return report


def _locked(report: ProblemReport) -> ProblemReport:
    return ProblemReport.objects.select_for_update().get(pk=report.pk)


def reply(actor, report: ProblemReport, *, text: str, uploads=(), internal: bool = False, request=None) -> ProblemMessage:
    """Write in a report's conversation. The reporter adds information (an answered report goes back in progress); a
    handler answers (the report is answered, the reporter told by e-mail) or, with `internal`, leaves a note for handlers."""
    action = "problems.reply"
    handler = is_handler(actor, report)
    reporter = report.reporter_id == actor.pk
    if not (handler or reporter) or (internal and not handler):
        _deny(actor, action, report, request)
    text, uploads = nfc(text), list(uploads or ())
    problem = _text_problem(text) or _uploads_problem(uploads)
    if problem:
        refuse(actor, action, *problem, report.unit_id, request)
    with refusing(actor, action, report.unit_id, request):
        locked = _locked(report)
        if locked.state == State.CLOSED:
            raise ServiceError(_("State: the report is closed; it is reopened before anyone writes again."), "state")
        before = locked.state
        if internal:
            pass
        elif reporter:
            locked.state = State.IN_PROGRESS if before == State.ANSWERED else before
        else:
            locked.state = State.ANSWERED
        message = ProblemMessage.objects.create(report=locked, author=actor, text=text, internal=internal)
        attached = _attach(message, uploads)
        locked.save(update_fields=["state", "updated_at"])
        audit(actor, action, obj=locked, unit_id=locked.unit_id, request=request,
              details={"message": message.pk, "internal": internal, "from": before, "to": locked.state,
                       "attachments": [a.document.sha256 for a in attached]})
        if locked.state == State.ANSWERED and not internal and not reporter:
            transaction.on_commit(lambda: notify_answered(locked, message))
    report.state, report.updated_at = locked.state, locked.updated_at
    return message


def set_state(actor, report: ProblemReport, state: str, request=None) -> ProblemReport:
    """A handler moves the report on (taken in hand, closed, reopened); the reporter may close their own."""
    action = "problems.state"
    handler = is_handler(actor, report)
    reporter = report.reporter_id == actor.pk
    if not handler and not (reporter and state == State.CLOSED):
        _deny(actor, action, report, request)
    if state not in State.values:
        refuse(actor, action, _("State: choose one of the states offered."), "state", report.unit_id, request)
    with refusing(actor, action, report.unit_id, request):
        locked = _locked(report)
        before = locked.state
        if state == before:
            raise ServiceError(_("State: the report is already %(state)s.") % {"state": locked.get_state_display()}, "state")
        if state == State.ANSWERED:
            raise ServiceError(_("State: a report is answered by writing the answer."), "state")
        if handler and state not in TRANSITIONS[before]:
            raise ServiceError(_("State: a report %(from)s cannot become %(to)s.") % {
                "from": locked.get_state_display(), "to": State(state).label}, "state")
        locked.state = state
        locked.closed_at = timezone.now() if state == State.CLOSED else None
        locked.save(update_fields=["state", "closed_at", "updated_at"])
        audit(actor, action, obj=locked, unit_id=locked.unit_id, request=request, details={"from": before, "to": state})
    report.state, report.closed_at, report.updated_at = locked.state, locked.closed_at, locked.updated_at
    return report


# ---- e-mail notices (best effort, after the commit) ----

def _link(report: ProblemReport) -> str:
    return public_url(reverse("problems:detail", args=[report.pk]))


def notify_filed(report: ProblemReport) -> int:
    """Tell the report's handlers that a problem was reported; returns how many were written to."""
    recipients = sorted({user.email for user in handlers(report) if user.email})
    if not recipients:
        return 0
    reporter = report.reporter
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("CSDL CBCCVC: problem reported: %(subject)s") % {"subject": report.subject}
        body = _("%(who)s reported a problem (%(category)s):\n\n%(subject)s\n\n%(description)s\n\nRead and answer it: %(url)s") % {
            "who": reporter.get_full_name() or reporter.username, "category": report.get_category_display(), "subject": report.subject,
            "description": report.description, "url": _link(report)}
    return send_mail(subject[:200], body, None, recipients, fail_silently=True)


def notify_answered(report: ProblemReport, message: ProblemMessage) -> int:
    """Tell the reporter that Sở Nội vụ answered their report."""
    email = report.reporter.email
    if not email:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("CSDL CBCCVC: your problem report was answered: %(subject)s") % {"subject": report.subject}
        body = _("Sở Nội vụ answered your problem report “%(subject)s”:\n\n%(text)s\n\nRead the conversation: %(url)s") % {
            "subject": report.subject, "text": message.text, "url": _link(report)}
    return send_mail(subject[:200], body, None, [email], fail_silently=True)
