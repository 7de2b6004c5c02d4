"""Inspections of the units (R-14.4) and by Sở Nội vụ (R-16.5): recorded with their findings and measures, answered by the
inspected unit, closed with a conclusion. Every write is audited, every refusal too; reading an inspection that names a
person is a read of personal data and audited as one."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import authz
from accounts.models import User
from audit.services import record as audit
from audit.services import record_refusal, refuse
from common.errors import ServiceError
from common.links import public_url
from common.text import as_id, nfc
from compliance.reminders import Holders
from compliance.services import refresh_inspection_soon
from compliance.workdays import add_working_days
from orgs.services import fmt_date, subtree_unit_ids, unit_by_code, versions_on
from people.models import Person

from .models import Inspection, InspectionAnswer, Measure

logger = logging.getLogger(__name__)

RECORD, ANSWER, CLOSE, READ = "inspections.record", "inspections.answer", "inspections.close", "inspections.read"
VIEW_ACTIONS = ("reports.view", RECORD, ANSWER)  # who reads the inspections of a unit
ANSWER_DAYS = 10  # working days the unit has to answer
MAX_MEASURES, MAX_TEXT = 50, 20_000


# ---- who may ----

def _deny(actor, action: str, unit_id: int | None, request) -> None:
    record_refusal(actor, action, reason="out of scope", unit_id=unit_id, request=request)
    raise PermissionDenied(_("You are not allowed to do this for this unit."))


def may_record(user, unit_id: int | None = None) -> bool:
    return authz.can(user, RECORD, unit_id)


def may_answer(user, inspection: Inspection) -> bool:
    return authz.can(user, ANSWER, inspection.unit_id)


def may_see_any(user) -> bool:
    return any(authz.can(user, action) for action in VIEW_ACTIONS)


def require_recorder(actor, unit_id: int | None = None, request=None) -> None:
    """Inspectors, unit heads over the units under them and Sở Nội vụ record inspections; anyone else is refused (audited)."""
    if not may_record(actor, unit_id):
        _deny(actor, RECORD, unit_id, request)


def require_answerer(actor, inspection: Inspection, request=None) -> None:
    """The inspected unit's HR officers, head and deputies answer (or those of the body above that keeps its records)."""
    if not may_answer(actor, inspection):
        _deny(actor, ANSWER, inspection.unit_id, request)


def require_closer(actor, inspection: Inspection, request=None) -> None:
    if not may_record(actor, inspection.unit_id):
        _deny(actor, CLOSE, inspection.unit_id, request)


def may_see_person(user, inspection: Inspection) -> bool:
    """The name of the person the findings concern is shown only to those who read that person's record."""
    return inspection.person_id is not None and authz.can(user, "people.view", inspection.person.unit_id)


# ---- reading ----

def _annotated(queryset):
    """With the inspected unit's current name and code: one query for a whole list."""
    current = versions_on(timezone.localdate()).filter(unit_id=OuterRef("unit_id"))
    return queryset.annotate(unit_name=Subquery(current.values("name")[:1]), unit_code=Subquery(current.values("code")[:1]))


def visible(user):
    """The inspections of the units in the user's scope for reading reports, recording or answering inspections."""
    scopes = [authz.scope(user, action) for action in VIEW_ACTIONS]
    found = _annotated(Inspection.objects.select_related("person", "recorded_by", "closed_by").prefetch_related("measures"))
    if any(scope.everything for scope in scopes):
        return found
    return found.filter(unit_id__in=set().union(*(scope.unit_ids for scope in scopes)))


def get_visible(user, pk: int) -> Inspection:
    """One inspection; 404 when there is none, PermissionDenied when it is outside the user's scope."""
    found = visible(user).filter(pk=pk).first()
    if found is None:
        get_object_or_404(Inspection, pk=pk)
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return found


def read(user, inspection: Inspection, request=None) -> str | None:
    """Reading an inspection: the name of the person it concerns when the user may see it. An inspection naming a person is
    personal data, so its reading is audited (R-4.2)."""
    if inspection.person_id is None:
        return None
    name = inspection.person.full_name if may_see_person(user, inspection) else None
    audit(user, READ, obj=inspection, unit_id=inspection.unit_id, request=request,
          details={"person_id": inspection.person_id, "name_shown": name is not None})
    return name


def filtered(user, *, unit: str = "", state: str = "", area: str = "", today: datetime.date | None = None):
    """The visible inspections narrowed to a unit subtree (by code or id), a state (open, overdue, answered, closed) and an area."""
    today = today or timezone.localdate()
    found = visible(user)
    ref = (unit or "").strip()
    if ref:
        unit_id = as_id(ref) or unit_by_code(ref).pk
        found = found.filter(unit_id__in=subtree_unit_ids(unit_id, today))
    if state == "overdue":
        found = found.filter(state=Inspection.State.OPEN, answer_due_on__lt=today)
    elif state:
        found = found.filter(state=state)
    return found.filter(area=area) if area else found


# ---- writing ----

def _measures(items, person_named: bool) -> list[tuple[str, str]]:
    """(text, target) pairs from strings or pairs; a bare text is against the person when the findings name one."""
    found = []
    default = Measure.Target.PERSON if person_named else Measure.Target.UNIT
    for item in items or ():
        text, target = (item, default) if isinstance(item, str) else (item[0], item[1] or default)
        text = nfc(text)
        if text:
            found.append((text[:MAX_TEXT], target))
    return found


def record_inspection(actor, *, unit_id: int, person_id: int | None = None, area: str, inspected_on: datetime.date, findings: str,
                      measures: list, request=None) -> Inspection:
    """An inspection of a unit in the actor's scope: what was found and the measures proposed (R-14.4, R-16.5). The unit
    answers within 10 working days; its answerers are told by e-mail once it is stored."""
    require_recorder(actor, unit_id, request)
    today = timezone.localdate()
    findings = nfc(findings)
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    proposed = _measures(measures, person_id is not None)
    problem = None
    if not versions_on(today).filter(unit_id=unit_id).exists():
        problem = (_("Unit: the unit no longer exists."), "unit")
    elif person_id and (person is None or person.unit_id not in subtree_unit_ids(unit_id, today)):
        problem = (_("Person: record no. %(id)s is not among the people of the inspected unit.") % {"id": person_id}, "person")
    elif area not in Inspection.Area.values:
        problem = (_("Area: choose what was inspected: updating, approval, management or use of the data."), "area")
    elif inspected_on > today:
        problem = (_("Inspected on: an inspection cannot be dated in the future."), "inspected_on")
    elif inspected_on.year < 2000:
        problem = (_("Inspected on: the date is too far in the past."), "inspected_on")
    elif not findings:
        problem = (_("Findings: write what the inspection found."), "findings")
    elif len(findings) > MAX_TEXT:
        problem = (_("Findings: at most %(count)s characters.") % {"count": MAX_TEXT}, "findings")
    elif not proposed:
        problem = (_("Measures: propose at least one measure, one per line."), "measures")
    elif len(proposed) > MAX_MEASURES:
        problem = (_("Measures: at most %(count)s measures.") % {"count": MAX_MEASURES}, "measures")
    elif any(target not in Measure.Target.values or (target == Measure.Target.PERSON and person is None) for _text, target in proposed):
        problem = (_("Measures: a measure is against the unit, or against the person the findings name."), "measures")
    if problem:
        refuse(actor, RECORD, *problem, unit_id, request)
    due = add_working_days(today, ANSWER_DAYS)
    with transaction.atomic():
        inspection = Inspection.objects.create(unit_id=unit_id, person=person, area=area, inspected_on=inspected_on, findings=findings,
                                               recorded_by=actor, answer_due_on=due)
        Measure.objects.bulk_create([Measure(inspection=inspection, position=n, text=text, target=target)
                                     for n, (text, target) in enumerate(proposed, 1)])
        audit(actor, RECORD, obj=inspection, unit_id=unit_id, request=request,
              details={"area": area, "inspected_on": str(inspected_on), "person_id": person_id, "measures": len(proposed),
                       "answer_due_on": str(due)})
        transaction.on_commit(lambda: notify_answerers(inspection.pk, exclude=actor.pk))
        refresh_inspection_soon(inspection.pk)
    return inspection


def answer(actor, inspection: Inspection, *, text: str, measures_done=(), request=None) -> InspectionAnswer:
    """The inspected unit answers: what it did, which measures are done. An inspection takes answers until it is closed."""
    require_answerer(actor, inspection, request)
    text = nfc(text)
    done = {int(pk) for pk in measures_done or ()}
    own = set(inspection.measures.values_list("pk", flat=True))
    problem = None
    if inspection.state == Inspection.State.CLOSED:
        problem = (_("Answer: the inspection is closed and takes no more answers."), "text")
    elif not text:
        problem = (_("Answer: write what the unit did or will do about the findings."), "text")
    elif len(text) > MAX_TEXT:
        problem = (_("Answer: at most %(count)s characters.") % {"count": MAX_TEXT}, "text")
    elif done - own:
        problem = (_("Measures done: choose among the measures of this inspection."), "measures_done")
    if problem:
        refuse(actor, ANSWER, *problem, inspection.unit_id, request)
    today, now = timezone.localdate(), timezone.now()
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.state == Inspection.State.CLOSED:  # closed meanwhile
            raise ServiceError(_("Answer: the inspection is closed and takes no more answers."), "text")
        given = InspectionAnswer.objects.create(inspection=locked, author=actor, text=text, measures_done=sorted(done))
        marked = Measure.objects.filter(inspection=locked, pk__in=done, done_on__isnull=True).update(done_on=today)
        late = today > locked.answer_due_on and locked.answered_at is None
        locked.state = Inspection.State.ANSWERED
        locked.answered_at = locked.answered_at or now
        locked.save(update_fields=["state", "answered_at"])
        refresh_inspection_soon(locked.pk)
        audit(actor, ANSWER, obj=locked, unit_id=locked.unit_id, request=request,
              details={"answer_id": given.pk, "measures_done": sorted(done), "newly_done": marked, "late": late})
    inspection.state, inspection.answered_at = locked.state, locked.answered_at
    return given


def close(actor, inspection: Inspection, *, conclusion: str, request=None) -> Inspection:
    """The inspector concludes: once the unit answered, or once its answer is overdue."""
    require_closer(actor, inspection, request)
    conclusion = nfc(conclusion)
    problem = None
    if inspection.state == Inspection.State.CLOSED:
        problem = (_("Conclusion: the inspection is already closed."), "conclusion")
    elif not conclusion:
        problem = (_("Conclusion: write the inspection's conclusion."), "conclusion")
    elif len(conclusion) > MAX_TEXT:
        problem = (_("Conclusion: at most %(count)s characters.") % {"count": MAX_TEXT}, "conclusion")
    elif inspection.state == Inspection.State.OPEN and not inspection.is_overdue():
        problem = (_("Conclusion: the unit may answer until %(day)s; close after its answer or once that day has passed.")
                   % {"day": fmt_date(inspection.answer_due_on)}, "conclusion")
    if problem:
        refuse(actor, CLOSE, *problem, inspection.unit_id, request)
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.state == Inspection.State.CLOSED:
            raise ServiceError(_("Conclusion: the inspection is already closed."), "conclusion")
        answered = locked.state == Inspection.State.ANSWERED
        locked.state, locked.conclusion, locked.closed_by, locked.closed_at = Inspection.State.CLOSED, conclusion, actor, timezone.now()
        locked.save(update_fields=["state", "conclusion", "closed_by", "closed_at"])
        refresh_inspection_soon(locked.pk)
        open_measures = locked.measures.filter(done_on__isnull=True).count()
        audit(actor, CLOSE, obj=locked, unit_id=locked.unit_id, request=request,
              details={"answered": answered, "measures_not_done": open_measures})
    for name in ("state", "conclusion", "closed_by", "closed_at"):
        setattr(inspection, name, getattr(locked, name))
    return inspection


# ---- the notice to the inspected unit ----

def answerers(unit_id: int, day: datetime.date | None = None) -> set[int]:
    """Who answers for a unit: the holders of "inspections.answer" on the unit, or else on the nearest unit above whose
    grants cover it (the body that keeps the records of a unit without an officer of its own)."""
    return Holders(day or timezone.localdate(), (ANSWER,)).of(ANSWER, unit_id)


def notify_answerers(inspection_id: int, exclude: int | None = None) -> int:
    """E-mail the inspected unit's answerers that an inspection waits for their answer; best effort, after the commit.
    The message names the unit, the area and the due date, never the findings or a person."""
    inspection = Inspection.objects.filter(pk=inspection_id).first()
    if inspection is None:
        return 0
    users = User.objects.filter(pk__in=answerers(inspection.unit_id) - {exclude}, email__gt="")
    unit = versions_on(timezone.localdate()).filter(unit_id=inspection.unit_id).values_list("name", flat=True).first() or ""
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("CSDL CBCCVC: an inspection of %(unit)s waits for your answer") % {"unit": unit}
        body = _("An inspection of %(unit)s (%(area)s, %(day)s) proposed %(count)s measures. Answer by %(due)s: %(url)s") % {
            "unit": unit, "area": inspection.get_area_display(), "day": fmt_date(inspection.inspected_on),
            "count": inspection.measures.count(), "due": fmt_date(inspection.answer_due_on),
            "url": public_url(reverse("inspections:detail", args=[inspection.pk]))}
    for user in users:
        try:
            send_mail(subject, body, None, [user.email])
            sent += 1
        except OSError:
            logger.warning("inspection notice not sent", extra={"inspection_id": inspection.pk, "user_id": user.pk})
    return sent
