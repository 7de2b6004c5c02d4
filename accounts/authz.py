"""The one place that decides who may do what on which unit.

Every view, API endpoint, export, search and job asks `can` / `require`, or filters its
queryset with `scope(...).filter(...)`, so scope is applied by the database. A user's grants
are read on every request: a revocation takes effect on the next one.
"""

import datetime
import functools
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.services import children_map, subtree_ids

from .models import RoleGrant

# Every action the application checks. Read actions stay allowed on read-only grants.
ACTIONS = {
    "org.view": "read", "org.manage": "write",
    "accounts.view": "read", "accounts.manage": "write", "accounts.manage_agency": "write",
    "roles.grant": "write", "roles.grant_any": "write",
    "people.view": "read", "people.edit": "write", "people.view_sensitive": "read",
    "records.approve": "write", "records.approve_head": "write", "approvals.open_window": "write",
    "arrivals.decide": "write", "compliance.manage": "write", "reports.view": "read", "reports.submit": "write",
    "reports.export": "read", "reports.sign": "write",
    "exchange.view": "read", "exchange.operate": "write", "people.import": "write",
    "backups.view": "read", "backups.operate": "write",
    "inspections.record": "write", "inspections.answer": "write", "problems.handle": "write", "audit.view": "read", "self.view": "read", "self.edit": "write",
}


@dataclass(frozen=True)
class Scope:
    """The units on which a user may perform an action on a day."""

    unit_ids: frozenset[int]
    everything: bool = False  # every unit of the day: no filter needed

    def __contains__(self, unit_id) -> bool:
        return unit_id in self.unit_ids

    def __bool__(self) -> bool:
        return bool(self.unit_ids)

    @property
    def limit(self) -> frozenset[int] | None:
        """The ids to restrict a query to, or None when the scope is the whole tree."""
        return None if self.everything else self.unit_ids

    def filter(self, queryset, field: str = "unit_id"):
        return queryset if self.everything else queryset.filter(**{f"{field}__in": self.unit_ids})


def active_grants(user, day: datetime.date | None = None) -> list[RoleGrant]:
    if not getattr(user, "is_authenticated", False) or not user.usable:
        return []
    day = day or timezone.localdate()
    cache = user.__dict__.setdefault("_grants_cache", {})
    if day not in cache:
        cache[day] = list(
            RoleGrant.objects.filter(user=user, revoked_at__isnull=True, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
            .select_related("role")
        )
    return cache[day]


def scope(user, action: str, day: datetime.date | None = None) -> Scope:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action}")
    day = day or timezone.localdate()
    token_scopes = getattr(user, "token_scopes", None)
    if token_scopes is not None and action not in token_scopes:
        return Scope(frozenset())
    grants = [g for g in active_grants(user, day) if action in g.role.actions and not (g.read_only and ACTIONS[action] == "write")]
    if not grants:
        return Scope(frozenset())
    cache = user.__dict__.setdefault("_scope_cache", {})
    if (action, day) not in cache:
        cache[(action, day)] = Scope(*_reach(user, day, grants))
    return cache[(action, day)]


def _reach(user, day: datetime.date, grants) -> tuple[frozenset[int], bool]:
    """The units these grants reach on a day, and whether that is every unit. Computed once per request for the same grants:
    the actions of a role share them, and walking a province-wide subtree for each action of the menu was 15% of a page."""
    key = (day, frozenset((g.unit_id, g.include_subtree) for g in grants))
    cache = user.__dict__.setdefault("_reach_cache", {})
    if key not in cache:
        children = tree_children(user, day)
        found = subtree_ids([g.unit_id for g in grants if g.include_subtree], children) | {g.unit_id for g in grants}
        cache[key] = (frozenset(found), len(found) >= sum(len(ids) for ids in children.values()))
    return cache[key]


def tree_children(user, day: datetime.date):
    """The tree's shape on a day, read once per request (cached on the request's user object)."""
    cache = user.__dict__.setdefault("_children_cache", {})
    if day not in cache:
        cache[day] = children_map(day)
    return cache[day]


def can(user, action: str, unit_id: int | None = None, day: datetime.date | None = None) -> bool:
    """May the user perform the action on this unit (or, without a unit, anywhere)?"""
    allowed = scope(user, action, day)
    return bool(allowed) if unit_id is None else unit_id in allowed


def require(user, action: str, unit_id: int | None = None, day: datetime.date | None = None) -> None:
    if not can(user, action, unit_id, day):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))


def clearance(user, unit_id: int, day: datetime.date | None = None) -> int:
    """The highest field clearance the user holds over a unit; -1 when none of their grants reaches it."""
    day = day or timezone.localdate()
    return max((g.role.clearance for g in active_grants(user, day) if unit_id in _reach(user, day, [g])[0]), default=-1)


@functools.cache
def field_levels() -> tuple[dict[str, int], int]:
    """Field -> access-restriction level, and the level of fields the file does not name (R-4.3)."""
    data = json.loads((settings.BASE_DIR / "data" / "field_sensitivity.json").read_text(encoding="utf-8"))
    return data["fields"], data["default_level"]


def visible_fields(user, unit_id: int, fields, day: datetime.date | None = None) -> set[str]:
    """The fields of a record in this unit the user is cleared for: others are not shown, exported, searched or returned."""
    levels, default = field_levels()
    cleared = clearance(user, unit_id, day)
    return {name for name in fields if levels.get(name, default) <= cleared}


def forget(user) -> None:
    """Drop what this user object remembered of its grants (after they change in the same request)."""
    user.__dict__.pop("_grants_cache", None)
    user.__dict__.pop("_scope_cache", None)
    user.__dict__.pop("_reach_cache", None)
    user.__dict__.pop("_children_cache", None)


def requires_second_factor(user) -> bool:
    return any(g.role.requires_2fa for g in active_grants(user))
