"""Transfers within one authority (R-8.1, R-8.2): from a decision, the record, the person's position, and their account's
scope and roles move to the new unit on the effective date; a future date is scheduled and applied by the worker."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from accounts.models import GrantChange, RoleGrant
from audit.services import record as audit
from audit.services import record_refusal
from catalogs.models import CatalogEntry
from common.errors import ServiceError
from common.text import nfc
from orgs.services import versions_on
from people.models import Person
from people.services import approved_record, stored_document, version_from_decision

from .models import Transfer

ACTION = "movements.transfer"


def _refuse(actor, message: str, field: str, unit_id: int | None, request) -> None:
    record_refusal(actor, ACTION, reason=message, unit_id=unit_id, request=request)
    raise ServiceError(message, field)


def transfer(actor, person: Person, *, to_unit_id: int, decision_number: str, decision_date: datetime.date, effective_on: datetime.date,
             upload, position: str = "", request=None) -> Transfer:
    """Record a transfer decision and apply it now, or on its effective date when that is ahead. Both units must be in the
    actor's scope to edit records: a transfer stays within the authority that manages both (R-8.1)."""
    today = timezone.localdate()
    if not versions_on(max(effective_on, today)).filter(unit_id=to_unit_id).exists():
        _refuse(actor, _("To: the unit does not exist on the effective date (dissolved, or not yet created)."), "to_unit", person.unit_id,
                request)
    same_unit = to_unit_id == person.unit_id and authz.can(actor, "people.edit", person.unit_id)
    if not (same_unit or to_unit_id in transfer_targets(actor, person.unit_id, today)):
        record_refusal(actor, ACTION, reason="out of scope", unit_id=person.unit_id, request=request)
        raise PermissionDenied(_("Both units must be among those whose records you keep, or communes your body administers."))
    problem = None
    recruited = approved_record(person)["employment"].get("recruited_on") if person.version else None
    if person.is_closed:
        problem = (_("This record is closed (%(status)s): a transfer needs a working person.") % {"status": person.get_status_display()},
                   "person")
    elif person.version == 0:
        problem = (_("The record has no approved version yet."), "person")
    elif recruited and effective_on.isoformat() < recruited:
        problem = (_("Effective on: before the person was recruited (%(day)s).")
                   % {"day": datetime.date.fromisoformat(recruited).strftime("%d/%m/%Y")}, "effective_on")
    elif to_unit_id == person.unit_id:
        problem = (_("To: the person already works in this unit."), "to_unit")
    elif not nfc(decision_number):
        problem = (_("Decision number: name the decision."), "decision_number")
    elif decision_date > today:
        problem = (_("Decision date: a decision cannot be dated in the future."), "decision_date")
    elif effective_on < decision_date:
        problem = (_("Effective on: before the decision was signed."), "effective_on")
    elif position and not CatalogEntry.objects.filter(catalog__code="position", code=position).exists():
        problem = (_("New position: “%(code)s” is not in the catalog.") % {"code": position}, "position")
    if problem:
        _refuse(actor, *problem, person.unit_id, request)
    try:
        with transaction.atomic():
            Person.objects.select_for_update().filter(pk=person.pk).first()
            pending = Transfer.objects.filter(person=person, state=Transfer.State.SCHEDULED).first()
            if pending is not None:
                raise ServiceError(_("A transfer to take effect on %(day)s is already scheduled (decision %(number)s).")
                                   % {"day": pending.effective_on.strftime("%d/%m/%Y"), "number": pending.decision_number}, "effective_on")
            moved = Transfer.objects.create(person=person, from_unit_id=person.unit_id, to_unit_id=to_unit_id, position=position,
                                            decision_number=nfc(decision_number)[:100], decision_date=decision_date, effective_on=effective_on,
                                            document=stored_document(upload), created_by=actor)
            audit(actor, ACTION, obj=moved, unit_id=person.unit_id, request=request,
                  details={"person": person.pk, "to_unit": to_unit_id, "effective_on": str(effective_on), "decision": moved.decision_number})
            if effective_on <= today:
                apply(moved, actor)
            else:
                from .tasks import apply_scheduled_transfers

                start = timezone.make_aware(datetime.datetime.combine(effective_on, datetime.time.min))
                transaction.on_commit(lambda: apply_scheduled_transfers.using(run_after=start).enqueue(moved.pk))
    except ServiceError as exc:
        record_refusal(actor, ACTION, reason=exc.message, unit_id=person.unit_id, request=request)
        raise
    return moved


def transfer_targets(actor, from_unit_id: int, day: datetime.date) -> set[int]:
    """The units the actor may move a person of this unit to. Within one authority: both units are among those whose
    records the actor keeps (R-8.1). Between communes under one administering body: that body's officers move the record
    and issue the person's access on the new commune (R-8.2)."""
    edit = authz.scope(actor, "people.edit", day)
    targets = set(edit.unit_ids) if from_unit_id in edit else set()
    body = versions_on(day).filter(unit_id=from_unit_id).values_list("managing_body_id", flat=True).first()
    if body is not None and body in edit:
        targets |= set(versions_on(day).filter(managing_body_id=body).values_list("unit_id", flat=True))
    targets.discard(from_unit_id)
    return targets


def apply(moved: Transfer, actor) -> Transfer:
    """The record's next version in the new unit (with the new position, if any), and the person's account grants on the old
    unit moved to the new one; all in the caller's transaction."""
    person = Person.objects.select_for_update().get(pk=moved.person_id)
    sections = {}
    if moved.position:
        unit_name = versions_on(moved.effective_on).filter(unit_id=moved.to_unit_id).values_list("name", flat=True).first() or ""
        held = [row if row.get("until") or row.get("concurrent") else {**row, "until": moved.effective_on.isoformat()}
                for row in approved_record(person)["positions"]]
        sections["positions"] = [*held, {"position": moved.position, "unit_name": unit_name, "appointed_on": moved.effective_on.isoformat(),
                                         "decision": moved.decision_number}]
    moved.version = version_from_decision(actor, person, sections=sections, unit_id=moved.to_unit_id, valid_from=moved.effective_on)
    if person.account_id:
        _move_grants(person.account, moved, actor)
    moved.state, moved.applied_at = Transfer.State.APPLIED, timezone.now()
    moved.save(update_fields=["version", "state", "applied_at"])
    audit(actor, "movements.apply", obj=moved, unit_id=moved.to_unit_id, details={"person": person.pk, "version": moved.version.number})
    return moved


def _move_grants(user, moved: Transfer, actor) -> None:
    """The person's grants on the unit they leave end. Those of roles a unit hands out itself (the employee's own access, an HR
    officer's) start again, same terms, on the unit they join; a head's, deputy's or delegate's role there needs a decision
    of its own."""
    now = timezone.now()
    for grant in RoleGrant.objects.filter(user=user, unit_id=moved.from_unit_id, revoked_at__isnull=True).select_related("role"):
        grant.revoked_at = now
        grant.save(update_fields=["revoked_at"])
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.REVOKE, by=actor, details={"transfer": moved.pk})
        if not grant.role.delegable:
            continue
        successor = RoleGrant.objects.create(user=user, role=grant.role, unit_id=moved.to_unit_id, include_subtree=grant.include_subtree,
                                             read_only=grant.read_only, valid_from=moved.effective_on, valid_to=grant.valid_to,
                                             request=grant.request, granted_by=actor)
        GrantChange.objects.create(grant=successor, action=GrantChange.Action.GRANT, by=actor, details={"transfer": moved.pk})
    user.unit_id = moved.to_unit_id  # a personal account's unit is where its holder works
    user.save(update_fields=["unit"])
    authz.forget(user)


def apply_due(today: datetime.date | None = None) -> list[Transfer]:
    """Apply scheduled transfers whose day has come; each by the one who recorded it."""
    today = today or timezone.localdate()
    applied = []
    for pk in Transfer.objects.filter(state=Transfer.State.SCHEDULED, effective_on__lte=today).values_list("pk", flat=True):
        with transaction.atomic():
            moved = Transfer.objects.select_for_update().select_related("created_by").get(pk=pk)
            if moved.state == Transfer.State.SCHEDULED:
                applied.append(apply(moved, moved.created_by))
    return applied
