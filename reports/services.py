"""What the statistics, standard-form and staffing pages share: the people query from a filter form, drill-down links,
the chart, tables as files, saved searches."""

import io

import xlsxwriter
from django.db import IntegrityError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from common import charts
from common.errors import ServiceError
from people.services import PeopleQuery

from . import statistics
from .models import SavedSearch
from .staffing import Staffing

SAVED_SEARCHES_PER_USER = 100


def people_query(data: dict) -> PeopleQuery:
    """The people list's filters (a cleaned people.forms.SearchForm) as a query."""
    fields = {k: v for k, v in data.items() if k not in {"q", "unit", "order"} and v not in ("", None)}
    return PeopleQuery(**fields, text=data.get("q", ""), unit_id=data.get("unit"))


def default_unit(user, action: str = "reports.view") -> int | None:
    """The first top unit of what the user may report on: where a report opens when no unit is named."""
    tops = statistics.top_units(authz.scope(user, action), authz.tree_children(user, timezone.localdate()))
    return tops[0] if tops else None


def grid_with_links(table: statistics.Table, params: QueryDict) -> list[dict]:
    """The table's rows, each cell with the people-list link that shows who it counts."""
    base = params.copy()
    for name in ("rows", "columns", "format", "page"):
        base.pop(name, None)

    def link(row_value, column_value):
        query = base.copy()
        for name, value in statistics.drill_down(table.rows, table.columns, row_value, column_value).items():
            query[name] = value
        return reverse("people:list") + "?" + query.urlencode()

    grid = table.grid()
    for row in grid:
        row["cells"] = [(n, link(row["key"], column)) for column, n in row["cells"]]
        row["link"] = link(row["key"], None)
    return grid


def bar_chart(table: statistics.Table):
    """Row totals as horizontal bars, largest first."""
    rows = sorted(((label, table.row_totals.get(key, 0)) for key, label in table.row_keys), key=lambda pair: -pair[1])
    return charts.bars(_("People by %(dimension)s") % {"dimension": statistics.DIMENSIONS[table.rows].label}, rows[:40], suffix="",
                       scale=None)


def table_rows(table: statistics.Table) -> list[list]:
    """Header, one line per row value, the totals line: what the XLSX and CSV files hold."""
    rows_label, columns_label = statistics.DIMENSIONS[table.rows].label, statistics.DIMENSIONS[table.columns].label
    lines = [[f"{rows_label} \\ {columns_label}", *[label for _k, label in table.column_keys], _("Total")]]
    for row in table.grid():
        lines.append([row["label"], *[n for _c, n in row["cells"]], row["total"]])
    lines.append([_("Total"), *[table.column_totals.get(key, 0) for key, _l in table.column_keys], table.total])
    return lines


def rows_xlsx(rows: list[list], title: str) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row, bold if index in (0, len(rows) - 1) else None)
    sheet.set_column(0, 0, 40)
    sheet.freeze_panes(1, 1)
    book.close()
    return output.getvalue()


def save_search(user, *, kind: str, name: str, query: QueryDict) -> SavedSearch:
    """Keep the page's filters under a name; the same name again replaces them."""
    if kind not in SavedSearch.Kind.values:
        raise ServiceError(_("Kind: there is no such list."), "kind")
    name = name.strip()
    if not name:
        raise ServiceError(_("Name: give the search a name."), "name")
    existing = SavedSearch.objects.filter(owner=user, kind=kind, name=name).first()
    if existing is None and SavedSearch.objects.filter(owner=user).count() >= SAVED_SEARCHES_PER_USER:
        raise ServiceError(_("Name: you already keep %(n)s searches; delete one first.") % {"n": SAVED_SEARCHES_PER_USER}, "name")
    values = {key: query.getlist(key) for key in query if key not in ("page", "format", "csrfmiddlewaretoken")}
    try:
        saved, _created = SavedSearch.objects.update_or_create(owner=user, kind=kind, name=name, defaults={"query": values})
    except IntegrityError as exc:
        raise ServiceError(_("Name: a search with this name was just saved; try again."), "name") from exc
    return saved


def saved_search_url(saved: SavedSearch) -> str:
    query = QueryDict(mutable=True)
    for key, values in saved.query.items():
        query.setlist(key, [str(v) for v in values])
    target = "reports:statistics" if saved.kind == "statistics" else "people:list"
    return reverse(target) + "?" + query.urlencode()


def staffing_rows(result: Staffing) -> list[dict]:
    return [{"label": row.label, "cells": [(row.quota.get(c, 0), row.actual.get(c, 0), row.difference(c)) for c in result.categories]}
            for row in result.rows]
