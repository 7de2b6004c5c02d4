"""The rules a record must follow: field by field on input, and over the whole record (R-6.1a, R-6.1b, R-13.5)."""

import datetime
import functools
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from catalogs.models import CatalogEntry
from common.errors import ServiceError
from common.text import nfc

from .form import SECTIONS, Field, Section, section

MAX_ROWS = 200
EARLIEST = datetime.date(1900, 1, 1)
# Dates that may lie ahead: ends of contracts, courses and terms.
FUTURE_OK = {"end_date", "until", "to_date"}
# Bounds of whole-number fields; others go from 0 to 100,000.
INT_LIMITS = {"salary_step": (1, 16), "step": (1, 16), "height_cm": (50, 250), "weight_kg": (20, 300), "over_frame_percent": (5, 100)}
CITIZEN_ID_RE = re.compile(r"^\d{12}$")
PHONE_RE = re.compile(r"^\+?[0-9 .-]{9,20}$")
MIN_AGE = {"NLD": 15}  # Labor Code 2019 Art. 143; cadres, civil servants and public employees are recruited from 18
DEFAULT_MIN_AGE = 18
MAX_WORKING_AGE = 75
DEFINITE_CONTRACT_MAX_MONTHS = 36  # Labor Code 2019 Art. 20


@dataclass(frozen=True)
class Problem:
    field: str  # section.field or section.row.field
    message: str
    missing: bool = False  # a required field left empty, as opposed to a broken rule


def field_path(sec: Section, item: Field, row: int | None = None) -> str:
    return f"{sec.name}.{item.name}" if row is None else f"{sec.name}.{row}.{item.name}"


def where(sec: Section, item: Field, row: int | None = None) -> str:
    """How a message names a field: “Section, row n, Field”."""
    if row is None:
        return f"{sec.label} – {item.label}"
    return _("%(section)s, row %(row)s – %(field)s") % {"section": sec.label, "row": row + 1, "field": item.label}


def _fail(sec, item, row, message):
    raise ServiceError(f"{where(sec, item, row)}: {message}", field_path(sec, item, row))


class CatalogCodes:
    """The codes of the catalogs a record names, read once per request."""

    def __init__(self):
        self._codes: dict[str, set[str]] = {}

    def __contains__(self, pair) -> bool:
        catalog, code = pair
        if catalog not in self._codes:
            self._codes[catalog] = set(CatalogEntry.objects.filter(catalog__code=catalog).values_list("code", flat=True))
        return code in self._codes[catalog]


def _value(sec: Section, item: Field, raw, row: int | None, today: datetime.date, codes: CatalogCodes):
    """The stored form of one input value (JSON types; dates ISO, decimals as strings), or None when empty."""
    if raw is None or (isinstance(raw, str) and not nfc(raw)):
        return None
    kind = item.kind
    if kind == "bool":
        if isinstance(raw, bool):
            return raw or None
        return (str(raw).strip().lower() in {"1", "true", "on", "yes"}) or None
    if kind in {"int", "year"}:
        try:
            number = int(str(raw).strip())
        except ValueError:
            _fail(sec, item, row, _("enter a whole number."))
        low, high = (EARLIEST.year, today.year) if kind == "year" else INT_LIMITS.get(item.name, (0, 100_000))
        if not low <= number <= high:
            _fail(sec, item, row, _("must be between %(low)s and %(high)s.") % {"low": low, "high": high})
        return number
    if kind == "date":
        if isinstance(raw, datetime.datetime):
            raw = raw.date()
        if not isinstance(raw, datetime.date):
            try:
                raw = datetime.date.fromisoformat(str(raw).strip())
            except ValueError:
                _fail(sec, item, row, _("enter a date (dd/mm/yyyy)."))
        if raw < EARLIEST:
            _fail(sec, item, row, _("the date is before 1900."))
        if raw > today and item.name not in FUTURE_OK:
            _fail(sec, item, row, _("the date is in the future."))
        return raw.isoformat()
    if kind == "decimal":
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            _fail(sec, item, row, _("enter a number such as 2.34."))
        if not number.is_finite() or number < 0 or number >= Decimal("1e12"):
            _fail(sec, item, row, _("enter a positive number."))
        if number.as_tuple().exponent < -2:
            _fail(sec, item, row, _("at most two decimal places."))
        return str(number)
    text = nfc(str(raw))
    if len(text) > item.max_length:
        _fail(sec, item, row, _("at most %(n)s characters.") % {"n": item.max_length})
    if kind == "choice" and (item.catalog, text) not in codes:
        _fail(sec, item, row, _("“%(code)s” is not in the list.") % {"code": text})
    if kind == "options" and text not in {code for code, _label in item.options}:
        _fail(sec, item, row, _("“%(code)s” is not one of the choices.") % {"code": text})
    if kind == "citizen_id" and not CITIZEN_ID_RE.match(text):
        _fail(sec, item, row, _("a citizen ID has 12 digits."))
    if kind == "phone" and not PHONE_RE.match(text):
        _fail(sec, item, row, _("enter a phone number of 9 to 15 digits."))
    if kind == "email":
        try:
            validate_email(text)
        except ValidationError:
            _fail(sec, item, row, _("enter a valid e-mail address."))
    return text


def _clean_fields(sec: Section, raw, row, today, codes) -> dict:
    if not isinstance(raw, dict):
        raise ServiceError(_("%(section)s: expected the section's fields.") % {"section": sec.label}, sec.name)
    unknown = set(raw) - set(sec.fields_by_name)
    if unknown:
        raise ServiceError(_("%(section)s: unknown field “%(field)s”.") % {"section": sec.label, "field": sorted(unknown)[0]},
                           sec.name)
    cleaned = {}
    for item in sec.fields:
        value = _value(sec, item, raw.get(item.name), row, today, codes)
        if value is not None:
            cleaned[item.name] = value
    return cleaned


def clean_section(name: str, raw, today: datetime.date, codes: CatalogCodes | None = None):
    """Validate one section as entered; returns its stored form or raises ServiceError naming the field."""
    try:
        sec = section(name)
    except KeyError:
        raise ServiceError(_("There is no section “%(name)s” in the record.") % {"name": name}, "section") from None
    codes = codes or CatalogCodes()
    if not sec.repeating:
        return _clean_fields(sec, raw, None, today, codes)
    if not isinstance(raw, list):
        raise ServiceError(_("%(section)s: expected a list of rows.") % {"section": sec.label}, sec.name)
    if len(raw) > MAX_ROWS:
        raise ServiceError(_("%(section)s: at most %(n)s rows.") % {"section": sec.label, "n": MAX_ROWS}, sec.name)
    rows = []
    for index, item in enumerate(raw):
        cleaned = _clean_fields(sec, item, index, today, codes)
        if not cleaned:
            continue
        for required in sec.fields:
            if required.required_for and required.name not in cleaned:
                _fail(sec, required, index, _("this field is required."))
        rows.append(cleaned)
    if sec.order_by:
        rows.sort(key=lambda r: str(r.get(sec.order_by, "")))
    return rows


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def years_between(start: datetime.date, end: datetime.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def check_citizen_id(number: str, gender: str | None, birth: datetime.date | None) -> str | None:
    """The CCCD number's own rules (Circular 59/2021/TT-BCA Art. 7): province code 001-096, then a digit for sex and
    century (0/1 for men/women born 1900-1999, 2/3 for 2000-2099), then the last two digits of the birth year."""
    if not CITIZEN_ID_RE.match(number or ""):
        return _("a citizen ID has 12 digits.")
    if not 1 <= int(number[:3]) <= 96:
        return _("the first three digits must be a province code (001-096).")
    if birth is not None and gender in {"1", "2"}:
        expected = (0 if gender == "1" else 1) + (2 if birth.year >= 2000 else 0)
        if int(number[3]) != expected or number[4:6] != f"{birth.year % 100:02d}":
            return _("the 4th to 6th digits do not match the sex and the year of birth.")
    return None


def _salary_steps(rank_or_title_code: str, catalog: str) -> list[Decimal]:
    entry = CatalogEntry.objects.filter(catalog__code=catalog, code=rank_or_title_code).first()
    scale = entry.attrs.get("salary_scale") if entry else None
    if not scale:
        return []
    scale_entry = CatalogEntry.objects.filter(catalog__code="salary_scale", code=scale).first()
    return [Decimal(step) for step in (scale_entry.attrs.get("steps", []) if scale_entry else [])]


def salary_tables():
    """The steps of each rank's salary table, read once per use: for checking many records in one run."""
    return functools.lru_cache(maxsize=None)(_salary_steps)


def check_record(record: dict, today: datetime.date, salary_steps=_salary_steps) -> list[Problem]:
    """Everything wrong with a whole record: missing required fields and broken rules between fields (R-13.5)."""
    problems = []
    category = record.get("employment", {}).get("category", "")

    def add(sec_name, field_name, message, row=None, missing=False):
        sec = section(sec_name)
        item = sec.fields_by_name[field_name]
        problems.append(Problem(field_path(sec, item, row), f"{where(sec, item, row)}: {message}", missing))

    for sec in SECTIONS:
        if sec.repeating:
            continue
        values = record.get(sec.name, {})
        for item in sec.fields:
            if category in item.required_for and item.name not in values:
                add(sec.name, item.name, _("this field is required."), missing=True)

    identity, employment, salary = record.get("identity", {}), record.get("employment", {}), record.get("salary", {})
    birth = _date(identity.get("birth_date"))
    if identity.get("citizen_id"):
        wrong = check_citizen_id(identity["citizen_id"], identity.get("gender"), birth)
        if wrong:
            add("identity", "citizen_id", wrong)
    if birth:
        age = years_between(birth, today)
        if age > MAX_WORKING_AGE:
            add("identity", "birth_date", _("a person of %(age)s cannot be working.") % {"age": age})
        recruited = _date(employment.get("recruited_on"))
        minimum = MIN_AGE.get(category, DEFAULT_MIN_AGE)
        if recruited and years_between(birth, recruited) < minimum:
            add("employment", "recruited_on", _("must be at least %(n)s years after the date of birth.") % {"n": minimum})
        issued = _date(identity.get("citizen_id_issued_on"))
        if issued and issued < birth:
            add("identity", "citizen_id_issued_on", _("cannot be before the date of birth."))
    for first, then, sec_name in (("recruited_on", "joined_unit_on", "employment"), ("enlisted_on", "discharged_on", "employment"),
                                  ("party_admitted_on", "party_official_on", "party")):
        values = record.get(sec_name, {})
        if values.get(first) and values.get(then) and values[then] < values[first]:
            add(sec_name, then, _("cannot be before “%(other)s”.") % {"other": section(sec_name).fields_by_name[first].label})

    if category in {"CB", "CC"} and not salary.get("rank"):
        add("salary", "rank", _("a civil servant or cadre has a rank."))
    if category == "VC" and not salary.get("professional_title"):
        add("salary", "professional_title", _("a public employee has a professional title."))
    code, catalog = (salary.get("rank"), "civil_servant_rank") if salary.get("rank") else (salary.get("professional_title"), "professional_title")
    if code and salary.get("salary_step"):
        steps = salary_steps(code, catalog)
        step = salary["salary_step"]
        if steps and step > len(steps):
            add("salary", "salary_step", _("the salary table of this rank has %(n)s steps.") % {"n": len(steps)})
        elif steps and salary.get("salary_coefficient") and Decimal(salary["salary_coefficient"]) != steps[step - 1]:
            add("salary", "salary_coefficient", _("step %(step)s of this rank's table has the coefficient %(value)s.")
                % {"step": step, "value": steps[step - 1]})

    for sec in SECTIONS:
        if not sec.repeating:
            continue
        rows = record.get(sec.name, [])
        start, end = sec.periods or ("from_date", "to_date")
        if start in sec.fields_by_name and end in sec.fields_by_name:
            for index, row in enumerate(rows):
                if row.get(start) and row.get(end) and row[end] < row[start]:
                    add(sec.name, end, _("the end is before the start."), index)
        if sec.periods:
            dated = sorted((r.get(start, ""), r.get(end) or "9999-12-31", i) for i, r in enumerate(rows) if r.get(start))
            for (_s1, end1, _i1), (start2, _e2, index2) in itertools.pairwise(dated):
                if start2 < end1:
                    add(sec.name, start, _("this period overlaps the one before it."), index2)

    contract = record.get("contract", {})
    if contract:
        begin, finish = _date(contract.get("start_date")), _date(contract.get("end_date"))
        if begin and finish and finish <= begin:
            add("contract", "end_date", _("must be after the start."))
        if contract.get("contract_type") == "definite":
            if not finish:
                add("contract", "end_date", _("a definite-term contract has an end date."))
            elif begin and (finish.year - begin.year) * 12 + finish.month - begin.month > DEFINITE_CONTRACT_MAX_MONTHS:
                add("contract", "end_date", _("a definite-term contract lasts at most 36 months."))
        if contract.get("contract_type") == "indefinite" and finish:
            add("contract", "end_date", _("an indefinite-term contract has no end date."))
    return problems


def completeness(record: dict) -> tuple[int, list[tuple[str, str]]]:
    """The share of the fields expected for the person's category that are filled, and what is missing (path, label)."""
    category = record.get("employment", {}).get("category", "")
    expected, missing = 0, []
    for sec in SECTIONS:
        values = record.get(sec.name, [] if sec.repeating else {})
        if sec.repeating:
            if category in sec.expected_rows_for:
                expected += 1
                if not values:
                    missing.append((sec.name, str(sec.label)))
            continue
        for item in sec.fields:
            if category in item.required_for or category in item.expected_for:
                expected += 1
                if item.name not in values:
                    missing.append((f"{sec.name}.{item.name}", f"{sec.label} – {item.label}"))
    score = 100 if not expected else round(100 * (expected - len(missing)) / expected)
    return score, missing
