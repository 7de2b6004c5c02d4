"""The yearly administrative-reform (PAR) scoring of the units on their database (R-15.4, R-16.3, R-19.2).

Each unit under the one asked for is scored on its subtree, on criteria measured from the data of the year:
- completeness: the average completeness of the working records, on the year's last dashboard snapshot;
- timeliness: the share of the obligations due in the year (so far) that were met by their due date, on that snapshot;
- approval: the share of working records whose current version is signed, on that snapshot;
- sync: the share of records the national database acknowledged.
The score is the weighted mean of the criteria measured; a criterion with nothing to measure (no obligation due, no sync
yet) is left out and its weight with it, and the formula shown beside each score says so.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import record as audit
from audit.services import record_refusal
from common.errors import ServiceError
from orgs.services import children_map, subtree_ids, versions_on

from .dashboards import sum_snapshots, unit_for, year_snapshots
from .models import ParFormula
from .services import require_manager

CRITERIA = ParFormula.CRITERIA
LABELS = {"completeness": gettext_lazy("record completeness"), "timeliness": gettext_lazy("deadlines met in time"),
          "approval": gettext_lazy("records approved and signed"), "sync": gettext_lazy("records synced with the national database")}
FIRST_YEAR = 2020


@dataclass
class Score:
    unit_id: int
    name: str
    code: str
    values: dict[str, float | None]
    weights: dict[str, int]
    rank: int = 0

    @cached_property
    def measured(self) -> dict[str, float]:
        return {name: self.values[name] for name in CRITERIA if self.values[name] is not None and self.weights[name]}

    @cached_property
    def score(self) -> float | None:
        weight = sum(self.weights[name] for name in self.measured)
        return round(sum(self.weights[name] * value for name, value in self.measured.items()) / weight, 1) if weight else None

    @cached_property
    def formula(self) -> str:
        """The arithmetic behind the score, as shown beside it."""
        if self.score is None:
            return _("nothing to measure")
        terms = " + ".join(f"{self.weights[name]} × {formats.number_format(value, 1)}" for name, value in self.measured.items())
        text = f"({terms}) ÷ {sum(self.weights[name] for name in self.measured)} = {formats.number_format(self.score, 1)}"
        left_out = [str(LABELS[name]) for name in CRITERIA if name not in self.measured and self.weights[name]]
        return text + (" · " + _("not measured: %(names)s") % {"names": ", ".join(left_out)} if left_out else "")


def formula_for(year: int) -> ParFormula:
    """The year's formula as Sở Nội vụ set it, or the default weights (unsaved)."""
    return ParFormula.objects.filter(year=year).first() or ParFormula(year=year, **ParFormula.DEFAULT)


def check_year(year: int, today: datetime.date) -> None:
    if not FIRST_YEAR <= year <= today.year:
        raise ServiceError(_("Year: scores are given for the years %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": today.year},
                           "year")


def set_formula(actor, *, year: int, weights: dict[str, int], request=None) -> ParFormula:
    """Sở Nội vụ sets the weights of a year: the current year or the next; a past year's ranking stays as it was scored."""
    action = "compliance.par_formula"
    require_manager(actor, action, request)
    today = timezone.localdate()
    problem = None
    if year not in (today.year, today.year + 1):
        problem = (_("Year: the formula can be set for %(this)s or %(next)s; past years keep the formula they were scored with.")
                   % {"this": today.year, "next": today.year + 1}, "year")
    elif set(weights) != set(CRITERIA) or any(not isinstance(w, int) or not 0 <= w <= 100 for w in weights.values()):
        problem = (_("Weights: give each criterion a whole number of points from 0 to 100."), "weights")
    elif sum(weights.values()) != 100:
        problem = (_("Weights: they must add up to 100 points; these add up to %(total)s.") % {"total": sum(weights.values())}, "weights")
    if problem:
        record_refusal(actor, action, reason=problem[0], request=request)
        raise ServiceError(*problem)
    with transaction.atomic():
        formula, _created = ParFormula.objects.update_or_create(year=year, defaults={**weights, "set_by": actor})
        audit(actor, action, obj=formula, request=request, details={"year": year, **weights})
    return formula


def ranking(user, unit_ref: str, year: int, today: datetime.date | None = None) -> dict:
    """The units directly under the one asked for (by default the top of the user's reporting scope), each scored on its
    subtree for the year, best first; units with the same score share a rank."""
    today = today or timezone.localdate()
    check_year(year, today)
    unit_id = unit_for(user, unit_ref)
    day = min(today, datetime.date(year, 12, 31))
    formula = formula_for(year)
    tree = children_map(today)
    subtree = subtree_ids([unit_id], tree)
    snapshots = year_snapshots(subtree, year, day)
    names = {u: (n, c) for u, n, c in versions_on(today).filter(unit_id__in=[unit_id, *tree.get(unit_id, [])])
                 .values_list("unit_id", "name", "code")}

    def score(of: int, units: set[int]) -> Score:
        totals = sum_snapshots(snapshots, units)
        values = {"completeness": totals["completeness_average"], "approval": totals["signed_share"], "sync": None,
                  "timeliness": totals["timeliness"]}
        return Score(of, *names[of], values={k: None if v is None else float(v) for k, v in values.items()}, weights=formula.weights)

    rows = [score(child, subtree_ids([child], tree)) for child in tree.get(unit_id, [])]
    rows.sort(key=lambda row: (row.score is None, -(row.score or 0), row.name))
    for row in rows:
        row.rank = 1 + sum(1 for other in rows if other.score is not None and (row.score is None or other.score > row.score))
    return {"year": year, "day": day, "unit": score(unit_id, subtree), "rows": rows, "formula": formula,
            "snapshot_day": next(iter(snapshots.values())).day if snapshots else None}
