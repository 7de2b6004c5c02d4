"""The Ministry of Home Affairs' standard statistical forms on the quantity and quality of civil servants and of public
employees (R-9.2, R-9.3, R-13.3).

Source: Circular 18/2025/TT-BNV of 8 October 2025, the statistical reporting regime of the Home Affairs sector, which
replaced Circular 02/2023/TT-BNV; its forms keep the layout in use since Circular 11/2012/TT-BNV: one row per agency of
the reporting unit, and the columns below in this order. The form numbers and column order are to be checked against
the printed annex (docs/reports.md); the wording on the sheet is the forms' Vietnamese whatever the interface language.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from audit.services import record as audit
from audit.services import record_refusal
from catalogs.models import CatalogEntry
from common.errors import ServiceError
from orgs.services import children_map, subtree_ids, versions_on

from .population import Population, age_between, in_office

# The fields each fact reads, for the reader's clearance (data/field_sensitivity.json).
FACT_SENSITIVITY = {
    "gender": "person.gender", "category": "person.category", "birth_date": "person.birth_date", "ethnicity": "person.ethnicity",
    "rank": "person.rank", "professional_title": "person.professional_title", "position": "person.position",
    "qualification": "person.education", "political_theory": "person.education", "state_management": "person.education",
    "party_member": "person.party_membership", "job_position": "person.position",
}
KINH = "01"  # ethnicity code of the majority; every other code counts as an ethnic minority


@dataclass(frozen=True)
class Context:
    population: Population
    grades: dict[str, frozenset[str]]  # grade -> rank and professional-title codes paid on that salary scale


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    facts: tuple[str, ...]
    where: Callable[[Context], Q]


@dataclass(frozen=True)
class Group:
    label: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class StandardForm:
    code: str
    number: str  # the form's number in the circular's annex
    title: str
    categories: frozenset[str]
    groups: tuple[Group, ...]

    @property
    def criteria(self) -> list[Criterion]:
        return [criterion for group in self.groups for criterion in group.criteria]


def _grade(grade: str) -> Callable[[Context], Q]:
    return lambda ctx: Q(rank__in=ctx.grades[grade]) | Q(professional_title__in=ctx.grades[grade])


def _age(low, high) -> Callable[[Context], Q]:
    return lambda ctx: age_between(ctx.population, low, high)


def _equals(name: str, *values) -> Callable[[Context], Q]:
    return lambda ctx: Q(**{f"{name}__in": values})


C = Criterion
TOTAL = C("total", "Tổng số", ("category",), lambda ctx: Q())
AMONG = Group("Trong đó", (
    C("women", "Nữ", ("gender",), _equals("gender", "2")),
    C("party", "Đảng viên", ("party_member",), lambda ctx: Q(party_member=True)),
    C("minority", "Dân tộc thiểu số", ("ethnicity",), lambda ctx: ~Q(ethnicity=KINH) & ~Q(ethnicity="") & Q(ethnicity__isnull=False)),
))
QUALIFICATION = Group("Trình độ chuyên môn", (
    C("doctor", "Tiến sĩ", ("qualification",), _equals("qualification", "TS", "TSKH")),
    C("master", "Thạc sĩ", ("qualification",), _equals("qualification", "THS")),
    C("university", "Đại học", ("qualification",), _equals("qualification", "DH")),
    C("college", "Cao đẳng", ("qualification",), _equals("qualification", "CD")),
    C("vocational", "Trung cấp", ("qualification",), _equals("qualification", "TC")),
    C("basic", "Sơ cấp, chưa qua đào tạo", ("qualification",), _equals("qualification", "SC", "CQDT")),
))
THEORY = Group("Lý luận chính trị", (
    C("theory_advanced", "Cao cấp, cử nhân", ("political_theory",), _equals("political_theory", "CAO_CAP", "CU_NHAN")),
    C("theory_intermediate", "Trung cấp", ("political_theory",), _equals("political_theory", "TRUNG_CAP")),
    C("theory_basic", "Sơ cấp", ("political_theory",), _equals("political_theory", "SO_CAP")),
))
STATE_MANAGEMENT = Group("Quản lý nhà nước", (
    C("sm_senior", "Chuyên viên cao cấp", ("state_management",), _equals("state_management", "CVCC")),
    C("sm_principal", "Chuyên viên chính", ("state_management",), _equals("state_management", "CVC")),
    C("sm_specialist", "Chuyên viên", ("state_management",), _equals("state_management", "CV")),
    C("sm_officer", "Cán sự", ("state_management",), _equals("state_management", "CS")),
))
AGE = Group("Độ tuổi", (
    C("age_30", "Đến 30", ("birth_date",), _age(None, 30)),
    C("age_31_40", "Từ 31 đến 40", ("birth_date",), _age(31, 40)),
    C("age_41_50", "Từ 41 đến 50", ("birth_date",), _age(41, 50)),
    C("age_51_60", "Từ 51 đến 60", ("birth_date",), _age(51, 60)),
    C("age_over_60", "Trên 60", ("birth_date",), _age(61, None)),
))
RANK = ("rank", "professional_title")

FORMS = {
    form.code: form for form in (
        StandardForm("civil-servants", "Biểu số 01", "Số lượng, chất lượng cán bộ, công chức",
                     frozenset({"CB", "CC", "CBX", "CCX"}), (
                         Group("", (TOTAL,)), AMONG,
                         Group("Ngạch công chức", (
                             C("grade_a3", "Chuyên viên cao cấp và tương đương", RANK, _grade("A3")),
                             C("grade_a2", "Chuyên viên chính và tương đương", RANK, _grade("A2")),
                             C("grade_a1", "Chuyên viên và tương đương", RANK, _grade("A1")),
                             C("grade_b", "Cán sự và tương đương", RANK, _grade("B")),
                             C("grade_c", "Nhân viên", RANK, _grade("C")),
                         )),
                         QUALIFICATION, THEORY, STATE_MANAGEMENT, AGE)),
        StandardForm("public-employees", "Biểu số 02", "Số lượng, chất lượng viên chức", frozenset({"VC"}), (
            Group("", (TOTAL,)), AMONG,
            Group("Chức danh nghề nghiệp", (
                C("grade_a3", "Hạng I", RANK, _grade("A3")),
                C("grade_a2", "Hạng II", RANK, _grade("A2")),
                C("grade_a1", "Hạng III", RANK, _grade("A1")),
                C("grade_b", "Hạng IV", RANK, _grade("B")),
            )),
            QUALIFICATION, THEORY, STATE_MANAGEMENT, AGE)),
    )
}


def salary_grades() -> dict[str, frozenset[str]]:
    """A3, A2, A1, B (with A0), C -> the codes of the ranks and titles on that scale (Decree 204/2004/NĐ-CP); A0 is where
    Circular 02/2021/TT-BNV pays cán sự, who the forms count as "cán sự và tương đương"."""
    grades: dict[str, set[str]] = {"A3": set(), "A2": set(), "A1": set(), "B": set(), "C": set()}
    entries = CatalogEntry.objects.filter(catalog__code__in=("civil_servant_rank", "professional_title")).values_list("code", "attrs")
    for code, attrs in entries:
        scale = (attrs or {}).get("salary_scale", "")
        grade = "B" if scale.startswith("A0") else scale[:2] if scale.startswith("A") else scale[:1]
        if grade in grades:
            grades[grade].add(code)
    return {grade: frozenset(codes) for grade, codes in grades.items()}


@dataclass
class Row:
    unit_id: int | None
    label: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Report:
    form: StandardForm
    unit_id: int
    unit_name: str
    day: datetime.date
    rows: list[Row]
    total: Row
    hidden: frozenset[str]  # criteria the reader is not cleared for: left blank

    def value(self, row: Row, key: str):
        return None if key in self.hidden else row.counts.get(key, 0)


def row_units(root: int, children: dict) -> dict[int, int]:
    """unit id -> the row it is counted in: the root's own staff in the root's row, each sub-unit's subtree in its row."""
    rows = {root: root}
    for child in children.get(root, ()):
        for unit_id in subtree_ids([child], children):
            rows[unit_id] = child
    return rows


def hidden_criteria(form: StandardForm, clearance: int) -> frozenset[str]:
    levels, default = authz.field_levels()
    return frozenset(c.key for c in form.criteria if any(levels.get(FACT_SENSITIVITY[f], default) > clearance for f in c.facts))


def build(user, form_code: str, unit_id: int, day: datetime.date | None = None, *, request=None) -> Report:
    """The form for a unit's subtree on a reference date (today by default), counted in the database."""
    today = timezone.localdate()
    day = day or today
    form = FORMS.get(form_code)
    if form is None:
        raise ServiceError(_("Form: there is no standard form %(code)s.") % {"code": form_code}, "form")
    if day > today:
        raise ServiceError(_("Reference date: the date is in the future; statistics count what has happened."), "day")
    names = dict(versions_on(day).values_list("unit_id", "name"))
    if unit_id not in names:
        raise ServiceError(_("Unit: the unit did not exist on %(day)s.") % {"day": f"{day:%d/%m/%Y}"}, "unit")
    if not authz.can(user, "reports.view", unit_id, day):
        record_refusal(user, "reports.standard_form", reason="out of scope", unit_id=unit_id, request=request)
        raise PermissionDenied(_("You may not see reports on this unit."))
    children = children_map(day)
    rows_of = row_units(unit_id, children)
    ctx = Context(in_office(list(rows_of), day, today), salary_grades())
    counts = {c.key: Count("pk", filter=c.where(ctx)) for c in form.criteria}
    found = ctx.population.rows.filter(category__in=form.categories).values("at_unit").annotate(**counts)
    rows = {unit_id: Row(unit_id, names[unit_id])} | {child: Row(child, names[child]) for child in children.get(unit_id, ())}
    for counted in found:
        row = rows[rows_of[counted.pop("at_unit")]]
        for key, n in counted.items():
            row.counts[key] = row.counts.get(key, 0) + n
    total = Row(None, "Tổng cộng", {c.key: sum(r.counts.get(c.key, 0) for r in rows.values()) for c in form.criteria})
    ordered = [rows[unit_id]] + sorted((rows[c] for c in children.get(unit_id, ())), key=lambda r: r.label)
    report = Report(form, unit_id, names[unit_id], day, ordered, total, hidden_criteria(form, authz.clearance(user, unit_id, day)))
    audit(user, "reports.standard_form", unit_id=unit_id, details={"form": form.code, "day": day.isoformat()}, request=request)
    return report
