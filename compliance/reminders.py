"""Reminders of the obligations: before the due date and on it to whoever must act, after it escalating to the unit's
head and then to the body above (R-6.3 to R-8.4); in the app and by e-mail, each once.

A reminder row is unique per obligation, stage and user, so running the job again (a restarted worker) adds nothing it
already added. E-mails are one digest per user and run: the digest's reminders are claimed (`emailed_at`) before the
message leaves and released if sending fails, so a message is never sent twice.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant
from common.links import public_url
from orgs.services import fmt_date, versions_on

from .models import Obligation, Reminder
from .workdays import around

Stage = Reminder.Stage
SOON_DAYS = 2  # working days before the due date
HEAD_AFTER, BODY_AFTER = 3, 5  # working days after it
ACTING = ("people.edit", "records.approve")  # the unit's officers keep its records; its head and delegates approve


class Holders:
    """Who acts for each unit on a day: the holders of an action's grants on the unit itself, or else on the nearest unit
    above whose grants cover the units under it (the body that keeps a unit's records when it has no officer of its own)."""

    def __init__(self, day: datetime.date, actions: tuple[str, ...] = ACTING):
        self.parents = dict(versions_on(day).values_list("unit_id", "parent_id"))
        self.direct: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.below: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        # Only the roles acting so: every employee's own grant would make this read the whole province.
        roles = [role.pk for role in Role.objects.all() if set(role.actions) & set(actions)]
        grants = (RoleGrant.objects.filter(role__in=roles, revoked_at__isnull=True, read_only=False, valid_from__lte=day, user__is_active=True,
                                           user__closed_at__isnull=True, user__locked_at__isnull=True)
                  .exclude(valid_to__lte=day).values_list("user_id", "unit_id", "role__actions", "include_subtree"))
        for user_id, unit_id, role_actions, subtree in grants:
            for action in actions:
                if action in role_actions:
                    self.direct[action][unit_id].add(user_id)
                    if subtree:
                        self.below[action][unit_id].add(user_id)

    def of(self, action: str, unit_id: int | None) -> set[int]:
        start, seen = unit_id, set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            found = (self.direct if unit_id == start else self.below)[action].get(unit_id)
            if found:
                return found
            unit_id = self.parents.get(unit_id)
        return set()

    def owners(self, obligation: Obligation) -> set[int]:
        if obligation.owner_kind == "person":
            return {obligation.owner_id} if obligation.owner_id else set()
        return self.of("records.approve" if obligation.owner_kind == "head" else "people.edit", obligation.unit_id)

    def above(self, unit_id: int) -> set[int]:
        parent = self.parents.get(unit_id)
        return self.of("people.edit", parent) | self.of("records.approve", parent)


def stages(obligation: Obligation, today: datetime.date, calendar) -> list[str]:
    """The stages an open obligation has reached today: where the owner's reminders stand, and the escalations."""
    due = obligation.due_on
    if today > due:
        late = calendar.between(due, today)
        reached = [Stage.OVERDUE]
        if late >= HEAD_AFTER and obligation.owner_kind != "head":
            reached.append(Stage.HEAD)
        if late >= BODY_AFTER:
            reached.append(Stage.BODY)
        return reached
    if today == due:
        return [Stage.DUE]
    return [Stage.SOON] if calendar.between(today, due) <= SOON_DAYS else []


def send_reminders(today: datetime.date | None = None) -> int:
    """Add today's reminders and e-mail them; returns how many reminders were added."""
    today = today or timezone.localdate()
    calendar = around(today - datetime.timedelta(days=400), today)
    horizon = calendar.add(today, SOON_DAYS)
    holders = Holders(today)
    rows = []
    for obligation in Obligation.objects.filter(met_on__isnull=True, dropped_on__isnull=True, due_on__lte=horizon).iterator(chunk_size=2000):
        for stage in stages(obligation, today, calendar):
            users = holders.owners(obligation)
            if stage == Stage.HEAD:
                users = holders.of("records.approve", obligation.unit_id) - users
            elif stage == Stage.BODY:
                users = holders.above(obligation.unit_id)
            rows += [Reminder(obligation=obligation, stage=stage, user_id=user_id) for user_id in users]
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    added = Reminder.objects.count() - before
    email_digests()
    return added


def describe(reminder: Reminder) -> str:
    """The reminder as its reader sees it, in their language."""
    obligation = reminder.obligation
    whose = f" – {obligation.person.full_name}" if obligation.person_id else ""
    return _("%(stage)s: %(what)s%(whose)s, due on %(day)s (%(rule)s).") % {
        "stage": reminder.get_stage_display().capitalize(), "what": obligation.get_kind_display(), "whose": whose,
        "day": fmt_date(obligation.due_on), "rule": obligation.rule}


def email_digests() -> int:
    """One e-mail per user listing the reminders not yet e-mailed; returns how many e-mails left."""
    sent = 0
    pending = (Reminder.objects.filter(emailed_at__isnull=True, user__email__gt="").values_list("user_id", flat=True).distinct())
    for user_id in list(pending):
        with transaction.atomic():
            claimed = list(Reminder.objects.select_for_update(skip_locked=True, of=("self",)).filter(user_id=user_id, emailed_at__isnull=True)
                           .select_related("obligation__person", "user"))
            Reminder.objects.filter(pk__in=[r.pk for r in claimed]).update(emailed_at=timezone.now())
        if not claimed:
            continue
        user = claimed[0].user
        with translation.override(settings.LANGUAGE_CODE):
            lines = [describe(reminder) for reminder in claimed]
            body = "\n".join(lines) + "\n\n" + _("Your tasks: %(url)s") % {"url": public_url(reverse("compliance:tasks"))}
            subject = _("CSDL CBCCVC: %(count)s reminders of deadlines") % {"count": len(lines)}
        try:
            send_mail(subject, body, None, [user.email])
            sent += 1
        except OSError:
            Reminder.objects.filter(pk__in=[r.pk for r in claimed]).update(emailed_at=None)  # tried again on the next run
    return sent
