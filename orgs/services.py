"""Business rules of the organization tree: dated versions, operations and reorganization plans.

Every change to the tree is a step of a plan (a single edit is a plan of one step), so the
history of the tree is the list of applied plans, and one code path applies, previews and
validates all of them.
"""

import datetime
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogs.models import CatalogEntry
from catalogs.services import entries as catalog_entries
from common.errors import ServiceError
from common.text import clean_json, nfc, search_key

from .codes import validate_identifier_code
from .models import JobPosition, ReorgPlan, ReorgStep, StaffingQuota, Unit, UnitSuccession, UnitVersion

Operation = ReorgStep.Operation
MAX_POSTS = 1_000_000  # no unit has more posts; larger numbers are typing errors
UNIT_FIELDS = ("name", "short_name", "code", "address", "kind", "level", "parent", "managing_body")


class ReorgError(ServiceError):
    """A change to the organization that cannot apply; in a plan, the whole plan is refused and nothing changes."""

    def __init__(self, message: str, field: str | None = None, position: int | None = None):
        super().__init__(message, field)
        self.position = position

    def as_dict(self) -> dict:
        return {"position": self.position, "field": self.field, "message": self.message}

    def __str__(self):
        prefix = _("Step %(position)s: ") % {"position": self.position} if self.position else ""
        return prefix + self.message


@dataclass
class StepOutcome:
    position: int
    operation: str
    summary: str
    units_created: list[str] = field(default_factory=list)
    units_ended: list[str] = field(default_factory=list)
    children_moved: int = 0
    positions_moved: int = 0
    quotas_moved: int = 0
    people_moved: int = 0


@dataclass
class PeopleRule:
    """Where a step sends the people of a unit: the listed ones to their new units and, when the unit ends, everyone else
    to `successor`. Closed records of a dissolved unit with no successor go to `archive_to`, the unit above, which keeps
    the archive. movements.reorganization carries the people by these rules."""

    position: int
    unit_id: int
    ends: bool
    successor: int | None = None
    listed: dict[int, int] = field(default_factory=dict)  # person id -> unit
    archive_to: int | None = None


def fmt_date(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# ---------------------------------------------------------------- reading the tree


def versions_on(day: datetime.date):
    """Versions in force on a day: one per unit alive then."""
    return UnitVersion.objects.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))


@dataclass
class TreeNode:
    version: UnitVersion
    children: list["TreeNode"] = field(default_factory=list)

    def count(self) -> int:
        return 1 + sum(child.count() for child in self.children)


def tree_on(day: datetime.date, query: str = "", allowed: frozenset[int] | None = None) -> list[TreeNode]:
    """The tree as it stood on a day, limited to the allowed units (their tops become roots);
    with a query, the matching units and their ancestors."""
    versions = versions_on(day).select_related("kind", "level").order_by("name")
    if allowed is not None:
        versions = versions.filter(unit_id__in=allowed)
    nodes = {v.unit_id: TreeNode(v) for v in versions}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.version.parent_id)
        (parent.children if parent else roots).append(node)
    if query:
        key = search_key(query)
        roots = [pruned for root in roots if (pruned := _prune(root, key))]
    return roots


def _prune(node: TreeNode, key: str) -> TreeNode | None:
    children = [pruned for child in node.children if (pruned := _prune(child, key))]
    if children or key in node.version.search_key or key in node.version.code.lower():
        return TreeNode(node.version, children)
    return None


def search_units(query: str, day: datetime.date, limit: int = 50, allowed: frozenset[int] | None = None):
    query = nfc(query)
    key = search_key(query)
    versions = versions_on(day) if allowed is None else versions_on(day).filter(unit_id__in=allowed)
    return (
        versions
        .filter(Q(search_key__contains=key) | Q(code__iexact=query) | Q(short_name__icontains=query))
        .select_related("kind", "level")
        .order_by("name")[:limit]
    )


def last_day_alive(unit: Unit, day: datetime.date) -> datetime.date:
    """The day on which to judge access to a unit: an ended unit is judged by the scope of its last day."""
    return day if unit.ended_on is None or day < unit.ended_on else unit.ended_on - datetime.timedelta(days=1)


def unit_by_code(code: str, field_name: str = "unit") -> Unit:
    """The active unit holding an identifier code, or a refusal naming the field."""
    version = UnitVersion.objects.filter(code=(code or "").strip().upper(), valid_to__isnull=True).select_related("unit").first()
    if version is None:
        raise ReorgError(_("No active unit has the code or id “%(ref)s”.") % {"ref": code}, field_name)
    return version.unit


def version_on(unit: Unit, day: datetime.date) -> UnitVersion | None:
    return versions_on(day).filter(unit=unit).select_related("kind", "level", "parent", "managing_body").first()


def ancestors_on(unit_id: int, day: datetime.date) -> list[UnitVersion]:
    """Root first, the unit itself excluded."""
    by_unit = {v.unit_id: v for v in versions_on(day).only("unit_id", "parent_id", "name", "short_name")}
    chain, current = [], by_unit.get(unit_id)
    while current and current.parent_id in by_unit and len(chain) < len(by_unit):
        current = by_unit[current.parent_id]
        chain.append(current)
    return list(reversed(chain))


def unit_choices(scope, day: datetime.date, limit: int = 2000) -> list[tuple[str, str]]:
    """(id, "name (code)") of the units of an authorization scope on a day, by code: the unit pickers of forms."""
    return [(str(v.unit_id), f"{v.name} ({v.code})" if v.code else v.name) for v in scope.filter(versions_on(day)).order_by("code")[:limit]]


def children_map(day: datetime.date) -> dict[int | None, list[int]]:
    """parent unit id -> ids of its sub-units on a day (None -> the roots); one query."""
    children: dict[int | None, list[int]] = {}
    for child, parent in versions_on(day).values_list("unit_id", "parent_id"):
        children.setdefault(parent, []).append(child)
    return children


def subtree_ids(roots, children: dict[int | None, list[int]]) -> set[int]:
    """The given units and every unit under them."""
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def subtree_unit_ids(unit_id: int, day: datetime.date) -> set[int]:
    """The unit and every unit under it on a day (the scope of an account or a report)."""
    return subtree_ids([unit_id], children_map(day))


def unit_names_by_code() -> dict[str, str]:
    return dict(UnitVersion.objects.exclude(code="").order_by("valid_from").values_list("code", "name"))


PARAM_LABELS = {
    "unit": gettext_lazy("unit"), "source": gettext_lazy("unit"), "target": gettext_lazy("into"), "sources": gettext_lazy("units"),
    "parent": gettext_lazy("parent unit"), "new": gettext_lazy("new unit"), "new_units": gettext_lazy("new units"),
    "name": gettext_lazy("name"), "short_name": gettext_lazy("short name"), "code": gettext_lazy("identifier code"),
    "kind": gettext_lazy("unit kind"), "level": gettext_lazy("unit level"), "keep_source": gettext_lazy("the unit continues"),
    "children_to": gettext_lazy("sub-units go to"), "children": gettext_lazy("sub-units"), "address": gettext_lazy("address"),
    "managing_body": gettext_lazy("managing body"), "quotas": gettext_lazy("staffing quotas"), "positions": gettext_lazy("job positions"),
    "people": gettext_lazy("people (record numbers)"), "people_to": gettext_lazy("its people go to"),
}


def describe_params(params, names: dict[str, str]) -> list[tuple[str, str]]:
    """A step's parameters for people: labels in the user's language, each code followed by the unit's name."""

    def show(value) -> str:
        if isinstance(value, list):
            return "; ".join(show(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{PARAM_LABELS.get(k, k)}: {show(v)}" for k, v in value.items())
        if isinstance(value, str) and value in names:
            return f"{value} ({names[value]})"
        return str(value)

    return [(PARAM_LABELS.get(key, key), show(value)) for key, value in (params or {}).items() if value not in (None, "", [], {})]


def quotas_of(unit: Unit):
    return unit.quotas.select_related("category").order_by("-year", "category__sort_order")


def positions_on(unit: Unit, day: datetime.date):
    return (
        unit.positions.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .select_related("category")
    )


def successions_of(unit: Unit) -> dict:
    return {
        "predecessors": list(unit.predecessor_links.select_related("predecessor")),
        "successors": list(unit.successor_links.select_related("successor")),
    }


# ---------------------------------------------------------------- applying steps


class TreeState:
    """Open versions of every live unit, kept in step with the database while a plan applies.

    Loading the tree once, updating it in memory and writing versions in bulk keeps a plan of
    hundreds of steps to a few statements per step.
    """

    def __init__(self, day: datetime.date, allowed: frozenset[int] | None = None):
        self.day = day
        # Units the acting user may change (None: no restriction, for seeds and the system itself).
        self.allowed = set(allowed) if allowed is not None else None
        self.open: dict[int, UnitVersion] = {v.unit_id: v for v in UnitVersion.objects.filter(valid_to__isnull=True)}
        self.by_code = {v.code: v.unit_id for v in self.open.values() if v.code}
        self.children: dict[int, set[int]] = {}
        for version in self.open.values():
            self.children.setdefault(version.parent_id, set()).add(version.unit_id)
        self._kinds = self._catalog("unit_kind")
        self._levels = self._catalog("unit_level")
        self._categories = self._catalog("person_category")
        self.quotas: dict[int, dict[tuple[int, int], StaffingQuota]] = {}
        for quota in StaffingQuota.objects.filter(year__gte=day.year):
            self.quotas.setdefault(quota.unit_id, {})[(quota.year, quota.category_id)] = quota
        self.positions: dict[int, dict[str, JobPosition]] = {}
        for position in JobPosition.objects.filter(valid_to__isnull=True):
            self.positions.setdefault(position.unit_id, {})[position.code] = position
        self._new_quotas: list[StaffingQuota] = []
        self._changed_quotas: dict[int, StaffingQuota] = {}
        self._new_positions: list[JobPosition] = []
        self._closed_positions: list[JobPosition] = []
        self._grown_positions: dict[int, JobPosition] = {}
        self._successions: list[UnitSuccession] = []
        self._closed: dict[int, UnitVersion] = {}
        self._amended: dict[int, UnitVersion] = {}
        self._new: list[UnitVersion] = []
        self._ended: dict[str, list[int]] = {}
        self.people_rules: list[PeopleRule] = []

    def _catalog(self, code: str) -> dict[str, CatalogEntry]:
        return {entry.code: entry for entry in catalog_entries(code, as_of=self.day)}

    # -- lookups

    def resolve(self, ref, field_name: str) -> int:
        """A unit reference in a step: an identifier code (text) or a unit id (number), inside the user's scope."""
        unit_id = self._lookup(ref, field_name)
        if self.allowed is not None and unit_id not in self.allowed:
            raise ReorgError(_("You may not change %(unit)s: it is outside your scope.") % {"unit": self.name(unit_id)}, field_name)
        return unit_id

    def _lookup(self, ref, field_name: str) -> int:
        if isinstance(ref, int) and ref in self.open:
            return ref
        if isinstance(ref, str) and ref.strip() in self.by_code:
            return self.by_code[ref.strip()]
        if ref in (None, ""):
            raise ReorgError(_("Choose a unit."), field_name)
        ended = Unit.objects.filter(pk=ref).exclude(ended_on=None).exists() if isinstance(ref, int) else False
        if ended:
            raise ReorgError(_("The unit #%(ref)s no longer exists (it was merged, split or dissolved).") % {"ref": ref}, field_name)
        raise ReorgError(_("No active unit has the code or id “%(ref)s”.") % {"ref": ref}, field_name)

    def name(self, unit_id: int) -> str:
        return self.open[unit_id].name

    def descendants(self, unit_id: int) -> set[int]:
        found, stack = set(), [unit_id]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def entry(self, table: dict[str, CatalogEntry], code, field_name: str, label: str) -> CatalogEntry:
        if isinstance(code, CatalogEntry):
            return code
        if code not in table:
            raise ReorgError(_("“%(code)s” is not a valid %(label)s on this date.") % {"code": code, "label": label}, field_name)
        return table[code]

    def check_date(self, unit_id: int, field_name: str) -> None:
        current = self.open[unit_id]
        if current.valid_from > self.day:
            raise ReorgError(
                _("%(unit)s already has a change dated %(date)s; a change cannot be dated before it.")
                % {"unit": current.name, "date": fmt_date(current.valid_from)},
                field_name,
            )

    # -- unit fields

    def clean_fields(self, params: dict, current: UnitVersion | None) -> dict:
        """Validated field values for a new or changed unit (only the fields given)."""
        values = {}
        for key in UNIT_FIELDS:
            if key not in params:
                continue
            raw = params[key]
            if key in ("name", "short_name", "address"):
                text = nfc(raw if isinstance(raw, str) else "")
                limit = UnitVersion._meta.get_field(key).max_length
                if key == "name" and not text:
                    raise ReorgError(_("The name is required."), key)
                if len(text) > limit:
                    raise ReorgError(_("At most %(limit)s characters.") % {"limit": limit}, key)
                values[key] = text
            elif key == "code":
                code = nfc(raw if isinstance(raw, str) else "").upper()
                if code:
                    message = validate_identifier_code(code)
                    if message:
                        raise ReorgError(message, "code")
                    holder = self.by_code.get(code)
                    if holder is not None and (current is None or holder != current.unit_id):
                        raise ReorgError(
                            _("The identifier code %(code)s is already used by %(unit)s.") % {"code": code, "unit": self.name(holder)},
                            "code",
                        )
                values[key] = code
            elif key == "kind":
                values[key] = self.entry(self._kinds, raw, key, _("unit kind"))
            elif key == "level":
                values[key] = self.entry(self._levels, raw, key, _("unit level"))
            elif key in ("parent", "managing_body"):
                values[key + "_id"] = self.resolve(raw, key) if raw not in (None, "") else None
        if current is None:
            for required in ("name", "kind", "level"):
                if required not in values:
                    raise ReorgError(_("This field is required."), required)
        parent_id = values.get("parent_id")
        if current is not None and parent_id is not None and (parent_id == current.unit_id or parent_id in self.descendants(current.unit_id)):
            raise ReorgError(_("A unit cannot be placed under itself or one of its own sub-units."), "parent")
        return values

    # -- writes
    # Version rows are buffered and written in bulk by flush(): a plan of hundreds of steps then
    # costs a handful of statements for the tree itself.

    def new_version(self, unit_id: int, step: ReorgStep, **changes) -> UnitVersion:
        """Close the open version at the plan's date and open one with the changes."""
        self.check_date(unit_id, "unit")
        old = self._unindex(unit_id)
        if old.valid_from == self.day:
            version = old  # a second change on the same day amends that day's version
            if version.pk:
                self._amended[version.pk] = version
        else:
            old.valid_to = self.day
            self._closed[old.pk] = old
            version = UnitVersion(
                unit_id=unit_id,
                valid_from=self.day,
                **{f.attname: getattr(old, f.attname) for f in UnitVersion._meta.concrete_fields
                   if f.attname not in ("id", "unit_id", "valid_from", "valid_to")},
            )
            self._new.append(version)
        for key, value in changes.items():
            setattr(version, key, value)
        version.step = step
        version.search_key = search_key(f"{version.name} {version.short_name}")
        self._index(version)
        return version

    def _index(self, version: UnitVersion) -> None:
        self.open[version.unit_id] = version
        if version.code:
            self.by_code[version.code] = version.unit_id
        self.children.setdefault(version.parent_id, set()).add(version.unit_id)

    def _unindex(self, unit_id: int) -> UnitVersion:
        version = self.open.pop(unit_id)
        if version.code:
            self.by_code.pop(version.code, None)
        self.children.get(version.parent_id, set()).discard(unit_id)
        return version

    def create(self, values: dict, step: ReorgStep) -> UnitVersion:
        if self.allowed is not None and values.get("parent_id") is None:
            raise ReorgError(_("Only those who manage the whole tree may create a top-level unit."), "parent")
        unit = Unit.objects.create(established_on=self.day)
        if self.allowed is not None:
            self.allowed.add(unit.pk)
        version = UnitVersion(unit=unit, valid_from=self.day, step=step, **values)
        version.search_key = search_key(f"{version.name} {version.short_name}")
        self._new.append(version)
        self._index(version)
        return version

    def end(self, unit_id: int, reason: str, step: ReorgStep) -> None:
        self.check_date(unit_id, "unit")
        if self.children.get(unit_id):
            raise ReorgError(_("%(unit)s still has sub-units.") % {"unit": self.name(unit_id)}, "children")
        if self.open[unit_id].valid_from == self.day:
            raise ReorgError(_("%(unit)s was changed on the same date; it cannot also end that day.") % {"unit": self.name(unit_id)}, "unit")
        version = self._unindex(unit_id)
        version.valid_to = self.day
        self._closed[version.pk] = version
        self._ended.setdefault(reason, []).append(unit_id)
        for other in [v for v in self.open.values() if v.managing_body_id == unit_id]:
            self.new_version(other.unit_id, step, managing_body_id=None)

    def flush(self) -> None:
        """Write what the plan buffered: version closes first, so a code freed by one unit can pass to another."""
        UnitVersion.objects.filter(pk__in=list(self._closed)).update(valid_to=self.day)
        amended = [v for v in self._amended.values() if v.valid_to is None]
        UnitVersion.objects.bulk_update(amended, [f.attname for f in UnitVersion._meta.concrete_fields if f.attname != "id"],
                                        batch_size=500)
        UnitVersion.objects.bulk_create(self._new, batch_size=500)
        for reason, unit_ids in self._ended.items():
            Unit.objects.filter(pk__in=unit_ids).update(ended_on=self.day, end_reason=reason)
        JobPosition.objects.filter(pk__in=[p.pk for p in self._closed_positions]).update(valid_to=self.day)
        JobPosition.objects.bulk_update(list(self._grown_positions.values()), ["count"], batch_size=500)
        JobPosition.objects.bulk_create(self._new_positions, batch_size=500)
        StaffingQuota.objects.bulk_update(list(self._changed_quotas.values()), ["amount"], batch_size=500)
        StaffingQuota.objects.bulk_create(self._new_quotas, batch_size=500)
        UnitSuccession.objects.bulk_create(self._successions, batch_size=500)

    def move_children(self, source_id: int, target_id: int, step: ReorgStep, only: set[int] | None = None) -> int:
        moved = [c for c in sorted(self.children.get(source_id, ())) if only is None or c in only]
        for child in moved:
            self.new_version(child, step, parent_id=target_id)
        return len(moved)

    def move_positions(self, source_id: int, target_id: int, codes: set[str] | None = None) -> int:
        """Close the source's open positions and open them at the target (adding posts where the same position exists)."""
        source = self.positions.get(source_id, {})
        moving = [p for code, p in source.items() if codes is None or code in codes]
        target = self.positions.setdefault(target_id, {})
        for position in moving:
            self.close_position(source_id, position)
            same = target.get(position.code)
            if same is not None and same.name == position.name:
                same.count += position.count
                if same.pk:
                    self._grown_positions[same.pk] = same
            else:
                code = position.code if same is None else f"{position.code}-{source_id}"
                self.open_position(JobPosition(unit_id=target_id, code=code, name=position.name, category_id=position.category_id,
                                               count=position.count, valid_from=self.day))
        return len(moving)

    def open_position(self, position: JobPosition) -> None:
        self.positions.setdefault(position.unit_id, {})[position.code] = position
        self._new_positions.append(position)

    def close_position(self, unit_id: int, position: JobPosition) -> None:
        del self.positions[unit_id][position.code]
        if position.pk:
            position.valid_to = self.day
            self._closed_positions.append(position)
        else:  # opened earlier in this plan: it never existed for a day
            self._new_positions.remove(position)

    def add_quotas(self, target_id: int, amounts: dict[tuple[int, int], int]) -> int:
        existing = self.quotas.setdefault(target_id, {})
        for (year, category_id), amount in amounts.items():
            quota = existing.get((year, category_id))
            if quota is None:
                existing[(year, category_id)] = quota = StaffingQuota(unit_id=target_id, year=year, category_id=category_id, amount=0)
                self._new_quotas.append(quota)
            quota.amount += amount
            if quota.pk:
                self._changed_quotas[quota.pk] = quota
        return len(amounts)

    def set_quota_amount(self, unit_id: int, key: tuple[int, int], amount: int) -> None:
        quota = self.quotas[unit_id][key]
        quota.amount = amount
        if quota.pk:
            self._changed_quotas[quota.pk] = quota

    def quotas_from(self, unit_id: int) -> dict[tuple[int, int], int]:
        """Quotas of the years from the plan's year on: those are what passes to a successor."""
        return {key: quota.amount for key, quota in self.quotas.get(unit_id, {}).items()}

    def quota_rows(self, rows, field_name: str) -> dict[tuple[int, int], int]:
        amounts = {}
        for row in rows or []:
            try:
                year, amount = int(row["year"]), int(row["amount"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ReorgError(_("A quota needs a year and a whole amount."), field_name) from exc
            if not 0 <= amount <= MAX_POSTS or not 1945 <= year <= 2200:
                raise ReorgError(_("A quota needs a year and a whole amount."), field_name)
            if year < self.day.year:
                raise ReorgError(_("A quota handed out by a plan starts in the plan's year or later."), field_name)
            category = self.entry(self._categories, row.get("category"), field_name, _("person category"))
            amounts[(year, category.pk)] = amounts.get((year, category.pk), 0) + amount
        return amounts

    def succession(self, predecessor: int, successor: int, step: ReorgStep) -> None:
        self._successions.append(UnitSuccession(predecessor_id=predecessor, successor_id=successor, operation=step.operation,
                                                effective_date=self.day, step=step))


def _apply_step(state: TreeState, step: ReorgStep) -> StepOutcome:
    params = step.params if isinstance(step.params, dict) else {}
    handler = OPERATIONS.get(step.operation)
    if handler is None:
        raise ReorgError(_("Unknown operation “%(op)s”.") % {"op": step.operation}, "operation")
    return handler(state, step, params)


def _op_create(state, step, params):
    values = state.clean_fields(params, None)
    version = state.create(values, step)
    quotas = state.add_quotas(version.unit_id, state.quota_rows(params.get("quotas"), "quotas"))
    for row in params.get("positions") or []:
        _create_position(state, version.unit_id, row)
    return StepOutcome(step.position, step.operation, _("Create %(unit)s") % {"unit": version.name},
                       units_created=[version.name], quotas_moved=quotas)


def _create_position(state, unit_id, row):
    if not isinstance(row, dict) or not nfc(str(row.get("code", ""))) or not nfc(str(row.get("name", ""))):
        raise ReorgError(_("A job position needs a code and a name."), "positions")
    category = state.entry(state._categories, row.get("category"), "positions", _("person category"))
    try:
        count = int(row.get("count", 1))
    except (TypeError, ValueError) as exc:
        raise ReorgError(_("The number of posts must be a whole number."), "positions") from exc
    if not 0 <= count <= MAX_POSTS:
        raise ReorgError(_("The number of posts must be a whole number."), "positions")
    code = nfc(str(row["code"]))
    if code in state.positions.get(unit_id, {}):
        raise ReorgError(_("The job position code %(code)s is used twice.") % {"code": code}, "positions")
    state.open_position(JobPosition(unit_id=unit_id, code=code, name=nfc(str(row["name"])), category=category,
                                    count=max(count, 0), valid_from=state.day))


def _op_update(state, step, params):
    unit_id = state.resolve(params.get("unit"), "unit")
    changes = {k: v for k, v in params.items() if k in UNIT_FIELDS and k != "parent"}
    if not changes:
        raise ReorgError(_("Nothing to change."), "unit")
    values = state.clean_fields(changes, state.open[unit_id])
    before = state.name(unit_id)
    state.new_version(unit_id, step, **values)
    return StepOutcome(step.position, step.operation, _("Change %(unit)s") % {"unit": before})


def _op_move(state, step, params):
    unit_id = state.resolve(params.get("unit"), "unit")
    values = state.clean_fields({"parent": params.get("parent")}, state.open[unit_id])
    if values["parent_id"] is None:
        raise ReorgError(_("Choose the new parent unit."), "parent")
    state.new_version(unit_id, step, **values)
    return StepOutcome(step.position, step.operation, _("Move %(unit)s under %(parent)s")
                       % {"unit": state.name(unit_id), "parent": state.name(values["parent_id"])})


def _op_merge(state, step, params):
    source = state.resolve(params.get("source"), "source")
    target = state.resolve(params.get("target"), "target")
    if source == target:
        raise ReorgError(_("A unit cannot be merged into itself."), "target")
    if target in state.descendants(source):
        raise ReorgError(_("A unit cannot be merged into one of its own sub-units."), "target")
    name = state.name(source)
    outcome = StepOutcome(step.position, step.operation, _("Merge %(source)s into %(target)s")
                          % {"source": name, "target": state.name(target)}, units_ended=[name])
    outcome.children_moved = state.move_children(source, target, step)
    outcome.positions_moved = state.move_positions(source, target)
    outcome.quotas_moved = state.add_quotas(target, state.quotas_from(source))
    state.end(source, Unit.EndReason.MERGED, step)
    state.succession(source, target, step)
    state.people_rules.append(PeopleRule(step.position, source, ends=True, successor=target))
    return outcome


def _op_consolidate(state, step, params):
    refs = params.get("sources") or []
    if not isinstance(refs, list) or len(refs) < 2:
        raise ReorgError(_("A consolidation needs at least two units."), "sources")
    sources = [state.resolve(ref, "sources") for ref in refs]
    if len(set(sources)) != len(sources):
        raise ReorgError(_("The same unit is listed twice."), "sources")
    new = dict(params.get("new") or {})
    new.setdefault("parent", state.open[sources[0]].parent_id)
    values = state.clean_fields(new, None)
    inside = set(sources).union(*(state.descendants(s) for s in sources))
    if values.get("parent_id") in inside:
        raise ReorgError(_("The new unit cannot be placed under one of the units it replaces."), "parent")
    for source in sources:
        state.check_date(source, "sources")
    names = [state.name(s) for s in sources]
    target = state.create(values, step).unit_id
    outcome = StepOutcome(step.position, step.operation, _("Consolidate %(sources)s into %(new)s")
                          % {"sources": ", ".join(names), "new": values["name"]},
                          units_created=[values["name"]], units_ended=names)
    for source in sources:
        outcome.children_moved += state.move_children(source, target, step)
        outcome.positions_moved += state.move_positions(source, target)
        outcome.quotas_moved += state.add_quotas(target, state.quotas_from(source))
        state.end(source, Unit.EndReason.CONSOLIDATED, step)
        state.succession(source, target, step)
        state.people_rules.append(PeopleRule(step.position, source, ends=True, successor=target))
    return outcome


def _op_split(state, step, params):
    """Chia (the source ends, keep_source false) or tách (part of the source becomes new units)."""
    source = state.resolve(params.get("source"), "source")
    keep_source = bool(params.get("keep_source"))
    parts = params.get("new_units") or []
    if not isinstance(parts, list) or not parts or (not keep_source and len(parts) < 2):
        raise ReorgError(_("A split needs the new units (at least two when the unit ends)."), "new_units")
    state.check_date(source, "source")
    name = state.name(source)
    outcome = StepOutcome(step.position, step.operation, _("Split %(source)s") % {"source": name})
    remaining_quotas = state.quotas_from(source)
    created = []
    rule = PeopleRule(step.position, source, ends=not keep_source)
    for part in parts:
        part = dict(part or {})
        part.setdefault("parent", state.open[source].parent_id)
        values = state.clean_fields(part, None)
        target = state.create(values, step).unit_id
        created.append(target)
        outcome.units_created.append(values["name"])
        children = {state.resolve(ref, "children") for ref in part.get("children") or []}
        if not children <= state.children.get(source, set()):
            raise ReorgError(_("Only sub-units of %(unit)s can move with the split.") % {"unit": name}, "children")
        outcome.children_moved += state.move_children(source, target, step, only=children)
        codes = {str(code) for code in part.get("positions") or []}
        outcome.positions_moved += state.move_positions(source, target, codes)
        quotas = {key: amount for key, amount in state.quota_rows(part.get("quotas"), "quotas").items() if amount}
        for key, amount in quotas.items():
            if amount > remaining_quotas.get(key, 0):
                raise ReorgError(_("The new units get more staffing quota than %(unit)s has.") % {"unit": name}, "quotas")
            remaining_quotas[key] -= amount
        outcome.quotas_moved += state.add_quotas(target, quotas)
        state.succession(source, target, step)
        for person_id in _person_ids(part.get("people")):
            if person_id in rule.listed:
                raise ReorgError(_("Record no. %(id)s is listed for two new units.") % {"id": person_id}, "people")
            rule.listed[person_id] = target
    state.people_rules.append(rule)
    if keep_source:
        for key, amount in remaining_quotas.items():
            state.set_quota_amount(source, key, amount)
    else:
        # What the plan does not hand out goes to the first new unit, as the preview shows.
        first = created[0]
        outcome.children_moved += state.move_children(source, first, step)
        outcome.positions_moved += state.move_positions(source, first)
        outcome.quotas_moved += state.add_quotas(first, {k: v for k, v in remaining_quotas.items() if v})
        rule.successor = first
        state.end(source, Unit.EndReason.SPLIT, step)
        outcome.units_ended.append(name)
    return outcome


def _person_ids(refs) -> list[int]:
    """Record numbers (person ids) listed in a step."""
    if refs in (None, "", []):
        return []
    try:
        ids = [int(ref) for ref in (refs if isinstance(refs, list) else str(refs).replace(";", ",").split(",")) if str(ref).strip()]
    except (TypeError, ValueError) as exc:
        raise ReorgError(_("People are listed by their record numbers, separated by commas."), "people") from exc
    if any(pk <= 0 for pk in ids):
        raise ReorgError(_("People are listed by their record numbers, separated by commas."), "people")
    return ids


def _op_dissolve(state, step, params):
    unit_id = state.resolve(params.get("unit"), "unit")
    name = state.name(unit_id)
    outcome = StepOutcome(step.position, step.operation, _("Dissolve %(unit)s") % {"unit": name}, units_ended=[name])
    people_to = None
    if params.get("people_to") not in (None, ""):
        people_to = state.resolve(params["people_to"], "people_to")
        if people_to == unit_id:
            raise ReorgError(_("The people of a dissolved unit go to another unit."), "people_to")
    if params.get("children_to") not in (None, ""):
        target = state.resolve(params["children_to"], "children_to")
        if target == unit_id or target in state.descendants(unit_id):
            raise ReorgError(_("Sub-units cannot move under the unit being dissolved."), "children_to")
        outcome.children_moved = state.move_children(unit_id, target, step)
    elif state.children.get(unit_id):
        raise ReorgError(
            _("%(unit)s still has %(count)s sub-units: move them first or say where they go.")
            % {"unit": name, "count": len(state.children[unit_id])},
            "children_to",
        )
    for position in list(state.positions.get(unit_id, {}).values()):
        state.close_position(unit_id, position)
    parent_id = state.open[unit_id].parent_id
    state.end(unit_id, Unit.EndReason.DISSOLVED, step)
    state.people_rules.append(PeopleRule(step.position, unit_id, ends=True, successor=people_to, archive_to=people_to or parent_id))
    return outcome


OPERATIONS = {
    Operation.CREATE: _op_create,
    Operation.UPDATE: _op_update,
    Operation.MOVE: _op_move,
    Operation.MERGE: _op_merge,
    Operation.CONSOLIDATE: _op_consolidate,
    Operation.SPLIT: _op_split,
    Operation.DISSOLVE: _op_dissolve,
}


def _run_steps(plan: ReorgPlan, allowed: frozenset[int] | None, user=None) -> list[StepOutcome]:
    # People, their accounts' scopes and their pending changes follow the tree in the same transaction, so a preview
    # shows them and a refusal about a person leaves the tree untouched too.
    from movements.reorganization import carry_people

    state = TreeState(plan.effective_date, allowed)
    outcomes = []
    for step in plan.steps.order_by("position"):
        try:
            outcomes.append(_apply_step(state, step))
        except ReorgError as exc:
            exc.position = step.position
            raise
    state.flush()
    moved = carry_people(plan, state.people_rules, user)
    for outcome in outcomes:
        outcome.people_moved = moved.get(outcome.position, 0)
    return outcomes


# ---------------------------------------------------------------- plans


@dataclass
class Preview:
    outcomes: list[StepOutcome]
    error: ReorgError | None

    @property
    def totals(self) -> dict:
        return {
            "steps": len(self.outcomes),
            "units_created": sum(len(o.units_created) for o in self.outcomes),
            "units_ended": sum(len(o.units_ended) for o in self.outcomes),
            "children_moved": sum(o.children_moved for o in self.outcomes),
            "positions_moved": sum(o.positions_moved for o in self.outcomes),
            "quotas_moved": sum(o.quotas_moved for o in self.outcomes),
            "people_moved": sum(o.people_moved for o in self.outcomes),
        }

    def as_dict(self) -> dict:
        return {
            "ok": self.error is None,
            "error": self.error.as_dict() if self.error else None,
            "totals": self.totals,
            "steps": [asdict(o) for o in self.outcomes],
        }


class _Rollback(Exception):
    pass


def preview_plan(plan: ReorgPlan, allowed: frozenset[int] | None = None) -> Preview:
    """Run the plan in a transaction that is always rolled back: exactly what apply would do."""
    outcomes, error = [], None
    try:
        with transaction.atomic():
            try:
                outcomes = _run_steps(plan, allowed)
            except ReorgError as exc:
                error = exc
            raise _Rollback
    except _Rollback:
        pass
    return Preview(outcomes, error)


def create_plan(*, title: str, effective_date: datetime.date, user, decision_number: str = "",
                decision_date: datetime.date | None = None, steps: list[dict] | None = None) -> ReorgPlan:
    if not nfc(title):
        raise ReorgError(_("The title is required."), "title")
    with transaction.atomic():
        plan = ReorgPlan.objects.create(title=nfc(title), effective_date=effective_date, created_by=user,
                                        decision_number=nfc(decision_number), decision_date=decision_date)
        add_steps(plan, steps or [])
    return plan


def _editable(plan: ReorgPlan) -> None:
    if plan.status != ReorgPlan.Status.DRAFT:
        raise ReorgError(_("Only a draft plan can be changed."), "status")


def add_step(plan: ReorgPlan, operation: str, params: dict) -> ReorgStep:
    _editable(plan)
    if operation not in OPERATIONS:
        raise ReorgError(_("Unknown operation “%(op)s”.") % {"op": operation}, "operation")
    if not isinstance(params, dict):
        raise ReorgError(_("The parameters of a step must be an object."), "params")
    last = plan.steps.order_by("-position").values_list("position", flat=True).first() or 0
    return ReorgStep.objects.create(plan=plan, position=last + 1, operation=operation, params=clean_json(params))


def add_steps(plan: ReorgPlan, items: list[dict]) -> None:
    """Append many steps (an uploaded plan); all are added or none."""
    with transaction.atomic():
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise ReorgError(_("Each step must be an object."), "steps", index)
            try:
                add_step(plan, item.get("operation", ""), item.get("params", {}))
            except ReorgError as exc:
                exc.position = index
                raise


def remove_step(plan: ReorgPlan, position: int) -> None:
    _editable(plan)
    with transaction.atomic():
        plan.steps.filter(position=position).delete()
        for index, step in enumerate(plan.steps.order_by("position"), start=1):
            if step.position != index:
                step.position = index
                step.save(update_fields=["position"])


def apply_plan(plan: ReorgPlan, user, today: datetime.date | None = None, allowed: frozenset[int] | None = None) -> Preview:
    """Apply every step at the plan's effective date, atomically; a bad step leaves everything unchanged.

    `allowed` is the set of units the user may change (authz scope of org.manage); None only for the system."""
    today = today or timezone.localdate()
    if plan.status not in (ReorgPlan.Status.DRAFT, ReorgPlan.Status.SCHEDULED):
        raise ReorgError(_("This plan has already been applied."), "status")
    if plan.effective_date > today:
        raise ReorgError(_("The plan takes effect on %(date)s: schedule it instead.") % {"date": fmt_date(plan.effective_date)},
                         "effective_date")
    if not plan.steps.exists():
        raise ReorgError(_("The plan has no steps."), "steps")
    with transaction.atomic():
        locked = ReorgPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status not in (ReorgPlan.Status.DRAFT, ReorgPlan.Status.SCHEDULED):
            raise ReorgError(_("This plan has already been applied."), "status")
        preview = Preview(_run_steps(plan, allowed, user), None)
        plan.status = ReorgPlan.Status.APPLIED
        plan.applied_by = user
        plan.applied_at = timezone.now()
        plan.result = preview.as_dict()
        plan.save(update_fields=["status", "applied_by", "applied_at", "result"])
    return preview


def schedule_plan(plan: ReorgPlan, user, allowed: frozenset[int] | None = None) -> Preview:
    """Check the plan now and have the worker apply it on its effective date."""
    from .tasks import apply_scheduled_plan

    _editable(plan)
    preview = preview_plan(plan, allowed)
    if preview.error:
        raise preview.error
    plan.status = ReorgPlan.Status.SCHEDULED
    plan.result = preview.as_dict()
    plan.save(update_fields=["status", "result"])
    start = timezone.make_aware(datetime.datetime.combine(plan.effective_date, datetime.time.min))
    transaction.on_commit(lambda: apply_scheduled_plan.using(run_after=start).enqueue(plan.pk))
    return preview


def apply_due_plans(today: datetime.date | None = None, scope_of=None) -> list[ReorgPlan]:
    """Apply scheduled plans whose date has come, within the scope their author holds that day;
    a plan that no longer fits is marked failed with why. scope_of(user, day) gives that scope."""
    today = today or timezone.localdate()
    done = []
    for plan in ReorgPlan.objects.filter(status=ReorgPlan.Status.SCHEDULED, effective_date__lte=today).order_by("effective_date", "pk"):
        allowed = scope_of(plan.created_by, today) if scope_of and plan.created_by else None
        try:
            apply_plan(plan, plan.created_by, today, allowed)
        except ReorgError as exc:
            plan.status = ReorgPlan.Status.FAILED
            plan.result = {"ok": False, "error": exc.as_dict()}
            plan.save(update_fields=["status", "result"])
        done.append(plan)
    return done


def change_tree(operation: str, params: dict, *, effective_date: datetime.date, user, title: str,
                decision_number: str = "", today: datetime.date | None = None, allowed: frozenset[int] | None = None) -> ReorgPlan:
    """One operation as a one-step plan, applied now (or scheduled when dated in the future); all or nothing."""
    today = today or timezone.localdate()
    with transaction.atomic():
        plan = create_plan(title=title, effective_date=effective_date, user=user, decision_number=decision_number,
                           steps=[{"operation": operation, "params": params}])
        if effective_date > today:
            schedule_plan(plan, user, allowed)
        else:
            apply_plan(plan, user, today, allowed)
    return plan


# ---------------------------------------------------------------- quotas and job positions


def _active_unit(unit: Unit) -> None:
    if unit.ended_on is not None:
        raise ReorgError(_("The unit #%(ref)s no longer exists (it was merged, split or dissolved).") % {"ref": unit.pk}, "unit")


def _category(code: str, day: datetime.date, field_name: str = "category") -> CatalogEntry:
    entry = catalog_entries("person_category", as_of=day).filter(code=code).first()
    if entry is None:
        raise ReorgError(_("“%(code)s” is not a valid %(label)s on this date.") % {"code": code, "label": _("person category")}, field_name)
    return entry


def set_quota(unit: Unit, *, year: int, category: str, amount: int) -> StaffingQuota:
    """Set the staffing quota (biên chế) of a unit for a year and a person category."""
    _active_unit(unit)
    if not 1945 <= year <= 2200:
        raise ReorgError(_("The year must be between 1945 and 2200."), "year")
    if not 0 <= amount <= MAX_POSTS:
        raise ReorgError(_("The amount must be between 0 and %(max)s.") % {"max": MAX_POSTS}, "amount")
    entry = _category(category, datetime.date(year, 1, 1))
    quota, _created = StaffingQuota.objects.update_or_create(unit=unit, year=year, category=entry, defaults={"amount": amount})
    return quota


def add_position(unit: Unit, *, code: str, name: str, category: str, count: int, valid_from: datetime.date) -> JobPosition:
    """Open a job position (vị trí việc làm) in a unit."""
    _active_unit(unit)
    code, name = nfc(code), nfc(name)
    if not code:
        raise ReorgError(_("This field is required."), "code")
    if not name:
        raise ReorgError(_("This field is required."), "name")
    if not 0 <= count <= MAX_POSTS:
        raise ReorgError(_("The number of posts must be a whole number."), "count")
    if unit.positions.filter(code=code, valid_to__isnull=True).exists():
        raise ReorgError(_("The job position code %(code)s is used twice.") % {"code": code}, "code")
    return JobPosition.objects.create(unit=unit, code=code, name=name, category=_category(category, valid_from),
                                      count=count, valid_from=valid_from)


def close_position(position: JobPosition, *, valid_to: datetime.date) -> JobPosition:
    """End a job position from a date; it stays in the history."""
    if position.valid_to is not None:
        raise ReorgError(_("This job position is already closed."), "valid_to")
    if valid_to <= position.valid_from:
        raise ReorgError(_("The end date must be after %(date)s.") % {"date": fmt_date(position.valid_from)}, "valid_to")
    position.valid_to = valid_to
    position.save(update_fields=["valid_to"])
    return position
