"""Loading and reading the national category lists (danh mục)."""

import datetime
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Catalog, CatalogEntry

CATALOG_DIR = settings.BASE_DIR / "data" / "catalogs"

# attrs that name an entry of another catalog, checked when loading.
REFERENCES = {"salary_scale": "salary_scale"}


class CatalogFileError(ValueError):
    """A catalog file that cannot be loaded; nothing of it is written."""


@dataclass
class LoadResult:
    code: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_from_file: list[str] = field(default_factory=list)


def _date(value, where):
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise CatalogFileError(_("%(where)s: “%(value)s” is not a date (YYYY-MM-DD).") % {"where": where, "value": value}) from exc


def _check_nfc(obj, where):
    if isinstance(obj, str):
        if unicodedata.normalize("NFC", obj) != obj:
            raise CatalogFileError(_("%(where)s: text “%(value)s” is not NFC-normalized.") % {"where": where, "value": obj})
    elif isinstance(obj, dict):
        for value in obj.values():
            _check_nfc(value, where)
    elif isinstance(obj, list):
        for value in obj:
            _check_nfc(value, where)


def parse_catalog_file(path: Path) -> dict:
    """Read and validate one catalog file; raises CatalogFileError naming the file and entry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogFileError(f"{path.name}: {exc}") from exc
    for key in ("code", "name", "version", "source", "entries"):
        if not data.get(key):
            raise CatalogFileError(_("%(file)s: the field “%(field)s” is missing.") % {"file": path.name, "field": key})
    _check_nfc(data, path.name)
    seen = set()
    for index, entry in enumerate(data["entries"], start=1):
        where = f"{path.name} #{index}"
        if not entry.get("code") or not entry.get("name"):
            raise CatalogFileError(_("%(where)s: an entry needs a code and a name.") % {"where": where})
        if entry["code"] in seen:
            raise CatalogFileError(_("%(where)s: the code “%(code)s” appears twice.") % {"where": where, "code": entry["code"]})
        seen.add(entry["code"])
        entry["valid_from"] = _date(entry.get("valid_from"), where)
        entry["valid_to"] = _date(entry.get("valid_to"), where)
        if entry["valid_from"] and entry["valid_to"] and entry["valid_to"] <= entry["valid_from"]:
            raise CatalogFileError(_("%(where)s: valid_to must be after valid_from.") % {"where": where})
        for step in entry.get("attrs", {}).get("steps", []):
            try:
                Decimal(step)
            except InvalidOperation as exc:
                raise CatalogFileError(_("%(where)s: “%(value)s” is not a coefficient.") % {"where": where, "value": step}) from exc
    for entry in data["entries"]:
        if entry.get("parent") and entry["parent"] not in seen:
            raise CatalogFileError(
                _("%(file)s: the parent “%(code)s” of “%(entry)s” is not in the file.")
                % {"file": path.name, "code": entry["parent"], "entry": entry["code"]}
            )
    return data


@transaction.atomic
def load_catalogs(directory: Path = CATALOG_DIR) -> list[LoadResult]:
    """Load every catalog file of the directory, all or nothing. Loading twice changes nothing."""
    files = sorted(Path(directory).glob("*.json"))
    parsed = [parse_catalog_file(path) for path in files]
    codes_by_catalog = {data["code"]: {entry["code"] for entry in data["entries"]} for data in parsed}
    for data in parsed:
        for entry in data["entries"]:
            for attr, target in REFERENCES.items():
                ref = entry.get("attrs", {}).get(attr)
                if ref and ref not in codes_by_catalog.get(target, set()):
                    raise CatalogFileError(
                        _("%(catalog)s/%(entry)s: “%(ref)s” is not an entry of %(target)s.")
                        % {"catalog": data["code"], "entry": entry["code"], "ref": ref, "target": target}
                    )
    return [_load_one(data) for data in parsed]


def _load_one(data: dict) -> LoadResult:
    catalog, _created = Catalog.objects.update_or_create(
        code=data["code"],
        defaults={
            "name": data["name"],
            "name_en": data.get("name_en", ""),
            "version": data["version"],
            "source": data["source"],
            "source_note": data.get("source_note", ""),
        },
    )
    result = LoadResult(code=catalog.code)
    existing = {entry.code: entry for entry in catalog.entries.all()}
    to_create, to_update = [], []
    fields = ["name", "name_en", "valid_from", "valid_to", "sort_order", "attrs"]
    for order, item in enumerate(data["entries"], start=1):
        values = {
            "name": item["name"],
            "name_en": item.get("name_en", ""),
            "valid_from": item["valid_from"],
            "valid_to": item["valid_to"],
            "sort_order": order,
            "attrs": item.get("attrs", {}),
        }
        entry = existing.get(item["code"])
        if entry is None:
            to_create.append(CatalogEntry(catalog=catalog, code=item["code"], **values))
        elif any(getattr(entry, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(entry, name, value)
            to_update.append(entry)
        else:
            result.unchanged += 1
    CatalogEntry.objects.bulk_create(to_create)
    CatalogEntry.objects.bulk_update(to_update, fields)
    result.created, result.updated = len(to_create), len(to_update)
    # Entries dropped from a file are kept: old records may still point at them.
    file_codes = {item["code"] for item in data["entries"]}
    result.missing_from_file = sorted(set(existing) - file_codes)
    _link_parents(catalog, data["entries"])
    return result


def _link_parents(catalog: Catalog, items: list[dict]) -> None:
    wanted = {item["code"]: item.get("parent") for item in items}
    by_code = {entry.code: entry for entry in catalog.entries.all()}
    changed = []
    for code, parent_code in wanted.items():
        entry = by_code[code]
        parent_id = by_code[parent_code].pk if parent_code else None
        if entry.parent_id != parent_id:
            entry.parent_id = parent_id
            changed.append(entry)
    CatalogEntry.objects.bulk_update(changed, ["parent"])


def entries(catalog_code: str, as_of: datetime.date | None = None):
    """Entries of a catalog; with as_of, only those valid on that day."""
    qs = CatalogEntry.objects.filter(catalog__code=catalog_code)
    if as_of is not None:
        qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=as_of)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=as_of)
        )
    return qs


def get_entry(catalog_code: str, code: str) -> CatalogEntry:
    return CatalogEntry.objects.select_related("catalog").get(catalog__code=catalog_code, code=code)


def salary_coefficients(scale_code: str) -> list[Decimal]:
    """The coefficients (hệ số lương) of bậc 1..n of a salary scale, as Decimal."""
    return [Decimal(step) for step in get_entry("salary_scale", scale_code).attrs.get("steps", [])]
