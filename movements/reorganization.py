"""People follow a reorganization (R-3.9, R-8.1): when a plan merges, consolidates, splits or dissolves units, the people of
those units, their accounts' scopes, their pending changes and their scheduled transfers move to the successor units by
the plan's rules, in the plan's transaction, with history kept.

A working person moved gets the record's next version in the new unit (same content, so no decryption: the sealed part
is copied as it is); the version awaits the new unit's signature like any unsigned one. Closed records only change the
unit that keeps them in its archive.
"""

import datetime
from collections import Counter, defaultdict

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from accounts.models import GrantChange, RoleGrant, User
from accounts.services import close_for_unit_end
from audit.services import record as audit
from audit.services import record_many
from orgs.models import UnitVersion
from orgs.services import PeopleRule, ReorgError, fmt_date
from people.models import ChangeSet, Person, RecordVersion

from .models import Transfer

BATCH = 2000


def _unit_name(unit_id: int) -> str:
    return UnitVersion.objects.filter(unit_id=unit_id).order_by("-valid_from").values_list("name", flat=True).first() or f"#{unit_id}"


def _batches(ids: list[int]):
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


class _Carry:
    """Where each person of the plan's units stands after each step, and where the units that end pass their people."""

    def __init__(self, rules: list[PeopleRule]):
        sources = {rule.unit_id for rule in rules}
        rows = Person.objects.filter(unit_id__in=sources).values_list("pk", "unit_id", "status", "version", "account_id")
        self.people = {row[0]: row for row in rows}
        self.members: dict[int, set[int]] = defaultdict(set)
        for pk, unit_id, *_rest in self.people.values():
            self.members[unit_id].add(pk)
        self.successor: dict[int, int | None] = {}  # ended unit -> where its people went (None: nowhere)
        self.counts: Counter = Counter()
        for rule in rules:
            self._follow(rule)

    def _follow(self, rule: PeopleRule) -> None:
        present = self.members[rule.unit_id]
        for pk, target in rule.listed.items():
            if pk not in present:
                raise ReorgError(_("Record no. %(id)s is not among the people of %(unit)s.") % {"id": pk, "unit": _unit_name(rule.unit_id)},
                                 "people", rule.position)
            present.discard(pk)
            self.members[target].add(pk)
            self.counts[rule.position] += 1
        if not rule.ends:
            return
        self.members.pop(rule.unit_id, None)
        self.successor[rule.unit_id] = rule.successor
        target = rule.successor
        if target is None:
            working = sum(1 for pk in present if self.people[pk][2] not in Person.CLOSED)
            if working:
                raise ReorgError(_("%(unit)s still has %(count)s working people: say which unit they go to.")
                                 % {"unit": _unit_name(rule.unit_id), "count": working}, "people_to", rule.position)
            target = rule.archive_to
            if target is None and present:
                raise ReorgError(_("%(unit)s keeps %(count)s closed records: say which unit keeps them.")
                                 % {"unit": _unit_name(rule.unit_id), "count": len(present)}, "people_to", rule.position)
        if present:
            self.members[target] |= present
            self.counts[rule.position] += len(present)

    def final(self, unit_id: int) -> int | None:
        """Where a unit's people end up after the whole plan: the unit itself, its last successor, or None."""
        while unit_id in self.successor:
            unit_id = self.successor[unit_id]
            if unit_id is None:
                return None
        return unit_id

    def moved(self) -> dict[int, int]:
        """person id -> their unit after the plan, for those whose unit changes."""
        return {pk: unit_id for unit_id, pks in self.members.items() for pk in pks if unit_id != self.people[pk][1]}


def carry_people(plan, rules: list[PeopleRule], actor) -> dict[int, int]:
    """Move the people of a plan's units by its rules; returns how many people each step moved (by step position).
    Runs inside the plan's transaction: a refusal (ReorgError) undoes the plan."""
    if not rules:
        return {}
    carry = _Carry(rules)
    moved = carry.moved()
    day = plan.effective_date
    _retarget_transfers(carry, moved, rules)
    if moved:
        _move_records(carry.people, moved, day, actor)
    _move_grants(carry, moved, day, actor, plan)
    _move_accounts(carry, moved, actor, plan)
    if moved:
        record_many(actor, "movements.reorganization", Person,
                    [(pk, unit_id, {"plan": plan.pk, "from_unit": carry.people[pk][1], "to_unit": unit_id}) for pk, unit_id in moved.items()])
        audit(actor, "movements.reorganization", obj=plan, details={"people_moved": len(moved)})
    if actor is not None:
        authz.forget(actor)
    return dict(carry.counts)


def _retarget_transfers(carry: _Carry, moved: dict[int, int], rules: list[PeopleRule]) -> None:
    """A scheduled transfer leaves from where its person now is and goes to the successor of a unit that ends."""
    ending = set(carry.successor)
    position = {rule.unit_id: rule.position for rule in rules}
    pending = Transfer.objects.filter(state=Transfer.State.SCHEDULED).filter(Q(to_unit_id__in=ending) | Q(person_id__in=list(moved)))
    for scheduled in pending.select_related("person"):
        to_unit = carry.final(scheduled.to_unit_id)
        if to_unit is None:
            raise ReorgError(_("A transfer of %(person)s into %(unit)s takes effect on %(day)s: say which unit the people go to.")
                             % {"person": scheduled.person.full_name, "unit": _unit_name(scheduled.to_unit_id),
                                "day": fmt_date(scheduled.effective_on)}, "people_to", position[scheduled.to_unit_id])
        scheduled.to_unit_id = to_unit
        scheduled.from_unit_id = moved.get(scheduled.person_id, scheduled.from_unit_id)
        scheduled.save(update_fields=["to_unit", "from_unit"])


def _by_destination(pks, moved: dict[int, int]) -> dict[int, list[int]]:
    groups = defaultdict(list)
    for pk in pks:
        groups[moved[pk]].append(pk)
    return groups


def _move_records(people: dict, moved: dict[int, int], day: datetime.date, actor) -> None:
    """Working records get their next version in the new unit; open change sets based on the version it copies follow it."""
    working = [pk for pk in moved if people[pk][2] not in Person.CLOSED and people[pk][3] >= 1]
    closed = list(moved.keys() - set(working))
    now = timezone.now()
    for unit_id, pks in _by_destination(working, moved).items():
        for batch in _batches(pks):
            _copy_current_versions(batch, unit_id, day, actor, now)
            Person.objects.filter(pk__in=batch).update(unit_id=unit_id, version=F("version") + 1)
    for batch in _batches(working):
        rebased = [pk for pk, person_id, base in ChangeSet.objects.filter(person_id__in=batch, state__in=ChangeSet.OPEN)
                   .values_list("pk", "person_id", "base_version") if base == people[person_id][3]]
        ChangeSet.objects.filter(pk__in=rebased).update(base_version=F("base_version") + 1)
    for unit_id, pks in _by_destination(closed, moved).items():
        for batch in _batches(pks):
            Person.objects.filter(pk__in=batch).update(unit_id=unit_id)


def _copy_current_versions(person_ids: list[int], unit_id: int, day: datetime.date, actor, now) -> None:
    """Each person's current version copied as the next one in `unit_id`, in one INSERT ... SELECT: the content and the
    sealed part never leave the database (the ORM has no INSERT ... SELECT)."""
    ops, version, person = connection.ops, RecordVersion._meta, Person._meta

    def column(meta, name: str) -> str:
        return ops.quote_name(meta.get_field(name).column)

    targets = ["person", "number", "valid_from", "content", "sealed", "data_key", "unit", "change_set", "approved_at", "approved_by"]
    placeholders = ", ".join(["%s"] * len(person_ids))
    # Only quoted identifiers from the models' metadata are formatted in; every value is a parameter.
    sql = (f"INSERT INTO {ops.quote_name(version.db_table)} ({', '.join(column(version, name) for name in targets)}) "  # noqa: S608
           f"SELECT v.{column(version, 'person')}, v.{column(version, 'number')} + 1, "
           f"CASE WHEN v.{column(version, 'valid_from')} > %s THEN v.{column(version, 'valid_from')} ELSE %s END, "
           f"v.{column(version, 'content')}, v.{column(version, 'sealed')}, v.{column(version, 'data_key')}, %s, NULL, %s, %s "
           f"FROM {ops.quote_name(version.db_table)} v JOIN {ops.quote_name(person.db_table)} p "
           f"ON p.{column(person, 'id')} = v.{column(version, 'person')} AND p.{column(person, 'version')} = v.{column(version, 'number')} "
           f"WHERE p.{column(person, 'id')} IN ({placeholders})")
    start = ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, start, unit_id, ops.adapt_datetimefield_value(now), getattr(actor, "pk", None), *person_ids])


def _move_grants(carry: _Carry, moved: dict[int, int], day: datetime.date, actor, plan) -> None:
    """Grants on the unit a person leaves, and on units that end, end on the plan's date. Roles a unit hands out itself
    (delegable: the employee's own access, an HR officer's) start again on the unit the person or the unit's people go to;
    a head's, deputy's, delegate's or administrator's role there needs a decision of its own."""
    left = {carry.people[pk][4]: (carry.people[pk][1], unit_id) for pk, unit_id in moved.items() if carry.people[pk][4]}
    touched = set(carry.successor) | {carry.people[pk][1] for pk in moved}
    grants = (RoleGrant.objects.filter(unit_id__in=touched, revoked_at__isnull=True).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
              .select_related("role"))
    now = timezone.now()
    ended, started = [], []
    for grant in grants:
        if grant.user_id in left and left[grant.user_id][0] == grant.unit_id:
            target = left[grant.user_id][1]
        elif grant.unit_id in carry.successor:
            target = carry.final(grant.unit_id)
        else:
            continue
        ended.append(grant)
        if target is not None and grant.role.delegable:
            started.append(RoleGrant(user_id=grant.user_id, role=grant.role, unit_id=target, include_subtree=grant.include_subtree,
                                     read_only=grant.read_only, valid_from=max(day, grant.valid_from), valid_to=grant.valid_to,
                                     request=grant.request, granted_by=actor))
    if not ended:
        return
    RoleGrant.objects.filter(pk__in=[grant.pk for grant in ended]).update(revoked_at=now)
    RoleGrant.objects.bulk_create(started, batch_size=500)
    details = {"reorganization": plan.pk}
    GrantChange.objects.bulk_create(
        [GrantChange(grant=grant, action=GrantChange.Action.REVOKE, by=actor, details=details, at=now) for grant in ended]
        + [GrantChange(grant=grant, action=GrantChange.Action.GRANT, by=actor, details=details, at=now) for grant in started],
        batch_size=500)


def _move_accounts(carry: _Carry, moved: dict[int, int], actor, plan) -> None:
    """A personal account's unit is where its holder works; an agency's or system's account of a unit that ends closes."""
    holders = {carry.people[pk][4]: unit_id for pk, unit_id in moved.items() if carry.people[pk][4]}
    for unit_id, pks in _by_destination(holders, holders).items():
        for batch in _batches(pks):
            User.objects.filter(pk__in=batch).update(unit_id=unit_id)
    others = User.objects.filter(unit_id__in=list(carry.successor), closed_at__isnull=True).exclude(pk__in=list(holders))
    for user in others:
        if user.kind == User.Kind.PERSONAL:
            user.unit_id = carry.final(user.unit_id)
            user.save(update_fields=["unit"])
        else:
            close_for_unit_end(actor, user, details={"reason": "unit ended", "reorganization": plan.pk})
