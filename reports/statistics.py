"""Aggregation of the people a user may see by any two dimensions, with totals and a drill-down to the people (R-3.13, R-9.2, R-9.3).

The filters are those of the people list (people.services.search_people: scope, clearance of each filter); a dimension
reads a field too, and needs that field's clearance like a filter does.
"""

from dataclasses import dataclass, field

from django.db.models import Case, Count, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import authz
from common.errors import ServiceError
from common.text import as_id
from orgs.services import subtree_ids, versions_on
from people import services as people
from people.models import Person

from .population import Population, age_between
from .standard_forms import row_units

AGE_BANDS = ((None, 30, "≤ 30"), (31, 40, "31–40"), (41, 50, "41–50"), (51, 60, "51–60"), (61, None, "> 60"))


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    sensitivity: str
    catalog: str = ""


DIMENSIONS = {d.key: d for d in (
    Dimension("unit", gettext_lazy("Unit"), "person.unit"),
    Dimension("category", gettext_lazy("Category"), "person.category", "person_category"),
    Dimension("gender", gettext_lazy("Sex"), "person.gender", "gender"),
    Dimension("age_band", gettext_lazy("Age band"), "person.birth_date"),
    Dimension("rank", gettext_lazy("Civil-servant rank"), "person.rank", "civil_servant_rank"),
    Dimension("professional_title", gettext_lazy("Professional title"), "person.professional_title", "professional_title"),
    Dimension("position", gettext_lazy("Position"), "person.position", "position"),
    Dimension("qualification", gettext_lazy("Qualification"), "person.education", "qualification_level"),
    Dimension("political_theory", gettext_lazy("Political theory"), "person.education", "political_theory"),
    Dimension("state_management", gettext_lazy("State management"), "person.education", "state_management"),
    Dimension("ethnicity", gettext_lazy("Ethnicity"), "person.ethnicity", "ethnicity"),
    Dimension("party_member", gettext_lazy("Party member"), "person.party_membership"),
    Dimension("status", gettext_lazy("Status"), "person.unit"),
)}


@dataclass
class Table:
    rows: str
    columns: str
    row_keys: list[tuple[str, str]]  # (value, label)
    column_keys: list[tuple[str, str]]
    cells: dict[tuple[str, str], int]
    row_totals: dict[str, int] = field(default_factory=dict)
    column_totals: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def grid(self) -> list[dict]:
        """Rows for a template: label, cells in column order, total."""
        return [{"key": key, "label": label, "cells": [(column, self.cells.get((key, column), 0)) for column, _l in self.column_keys],
                 "total": self.row_totals.get(key, 0)} for key, label in self.row_keys]


def allowed_dimensions(user) -> list[Dimension]:
    levels, default = authz.field_levels()
    cleared = people.search_clearance(user)
    return [d for d in DIMENSIONS.values() if levels.get(d.sensitivity, default) <= cleared]


def _age_band(population: Population):
    return Case(*[When(age_between(population, low, high), then=Value(label)) for low, high, label in AGE_BANDS],
                default=Value(""))


def aggregate(user, rows: str, columns: str, query: people.PeopleQuery) -> Table:
    """Count the people matching the query by two dimensions; refused for a dimension above the user's clearance."""
    allowed = {d.key for d in allowed_dimensions(user)}
    for name, value in (("rows", rows), ("columns", columns)):
        if value not in DIMENSIONS:
            raise ServiceError(_("There is no dimension %(name)s.") % {"name": value}, name)
        if value not in allowed:
            raise ServiceError(_("You are not cleared to count by %(dimension)s.") % {"dimension": DIMENSIONS[value].label}, name)
    if rows == columns:
        raise ServiceError(_("Choose two different dimensions."), "columns")
    day = timezone.localdate()
    found = people.search_people(user, query, day=day).order_by()
    if "age_band" in (rows, columns):
        found = found.annotate(age_band_=_age_band(Population(found, day, dates_as_text=False)))
    unit_rows = _unit_rows(user, query, day) if "unit" in (rows, columns) else {}
    cells: dict[tuple[str, str], int] = {}
    for item in found.values(_GROUP.get(rows, rows), _GROUP.get(columns, columns)).annotate(n=Count("pk")):
        key = tuple(_cell_key(name, item[_GROUP.get(name, name)], unit_rows) for name in (rows, columns))
        cells[key] = cells.get(key, 0) + item["n"]
    return _table(rows, columns, cells, day)


_GROUP = {"unit": "unit_id", "age_band": "age_band_"}  # the column each dimension is grouped on


def _cell_key(name: str, value, unit_rows: dict) -> str:
    if name == "unit":
        value = unit_rows.get(value, value)
    return "" if value is None else str(value)


def _unit_rows(user, query: people.PeopleQuery, day) -> dict[int, int]:
    """unit id -> the unit it is counted under: the chosen unit's sub-units (or the top units the user sees), each with its subtree."""
    children = authz.tree_children(user, day)
    if query.unit_id is not None:
        return row_units(query.unit_id, children)
    tops = top_units(authz.scope(user, "people.view", day), children)
    if len(tops) == 1:
        return row_units(tops[0], children)
    return {unit_id: top for top in tops for unit_id in subtree_ids([top], children)}


def top_units(scope, children) -> list[int]:
    """The units of a scope that no other unit of it contains."""
    if scope.everything:
        return list(children.get(None, []))
    below = {child for unit_id in scope.unit_ids for child in children.get(unit_id, ())}
    return sorted(unit_id for unit_id in scope.unit_ids if unit_id not in below)


def _labels(name: str, values, day) -> list[tuple[str, str]]:
    dimension = DIMENSIONS[name]
    names = people.CatalogNames()
    if name == "unit":
        unit_names = dict(versions_on(day).filter(unit_id__in=[pk for v in values if (pk := as_id(v))]).values_list("unit_id", "name"))
        labelled = [(v, unit_names.get(as_id(v), v)) for v in values]
    elif name == "age_band":
        order = [label for _l, _h, label in AGE_BANDS]
        return [(v, v or _("unknown")) for v in sorted(values, key=lambda v: order.index(v) if v in order else len(order))]
    elif name == "party_member":
        labelled = [(v, _("yes") if v == "True" else _("no")) for v in values]
    elif name == "status":
        labelled = [(v, str(Person.Status(v).label) if v in Person.Status.values else v) for v in values]
    else:
        labelled = [(v, names.name(dimension.catalog, v) if v else _("not given")) for v in values]
    return sorted(labelled, key=lambda pair: (pair[0] == "", pair[1]))


def _table(rows: str, columns: str, cells: dict, day) -> Table:
    table = Table(rows, columns, _labels(rows, {r for r, _c in cells}, day), _labels(columns, {c for _r, c in cells}, day), cells)
    for (row, column), n in cells.items():
        table.row_totals[row] = table.row_totals.get(row, 0) + n
        table.column_totals[column] = table.column_totals.get(column, 0) + n
        table.total += n
    return table


def drill_down(rows: str, columns: str, row_value: str, column_value: str) -> dict:
    """The people-list filters that show the people counted in one cell (a row or column total: pass "" for the other)."""
    params = {}
    for name, value in ((rows, row_value), (columns, column_value)):
        if value is None:
            continue
        if name == "unit":
            params["unit"] = value
        elif name == "age_band":
            band = next((b for b in AGE_BANDS if b[2] == value), None)
            if band:
                params.update({k: v for k, v in (("age_from", band[0]), ("age_to", band[1])) if v is not None})
        elif name == "party_member":
            params["party_member"] = "true" if value == "True" else "false"
        else:
            params[name] = value
    return params

