"""Bulk import of the province's legacy records from XLSX or CSV (R-9.1).

The file follows a template made from the résumé's description (people/form.py): one sheet per section, row 1 the column
headers (the field's label with its name in brackets, the name being what counts), a row per person in the sheets of
one-row sections and as many rows as needed in the sheets of lists, every row after the person's sheet keyed by the citizen
ID. A CSV file holds the one-row sections of the record in one row per person.

Every cell goes through the coercion of the record form (people.validation.clean_section) and every person's record through
people.validation.check_record, so an import refuses what the pages refuse with the same words; each problem is reported
with its sheet, row and column. Nothing is written unless the whole file is right: the people are created in one
transaction, as approved version 1 of their record, unsigned, so they enter the month's approval (R-7.1).

A file over IMPORT_MAX_ROWS is refused from what it declares, before its rows are read; rows are streamed (openpyxl's
read-only mode), so checking a file needs memory for its records, not for its XML.
"""

import csv
import datetime
import hashlib
import io
import logging
import re
import xml.etree.ElementTree as ET  # noqa: S405 - the parts read are a few kB, sized beforehand; expat refuses entity bombs
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import openpyxl
import xlsxwriter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from accounts import authz
from audit.services import record as audit
from audit.services import record_many, record_refusal
from common.crypto import blind_index
from common.errors import ServiceError, document_too_large
from common.text import nfc
from orgs.models import UnitVersion
from people import services as people
from people.form import ALL, BY_NAME, SECTIONS, Field, Section, empty_record
from people.models import Person
from people.validation import MAX_ROWS, CatalogCodes, check_record, clean_section, salary_tables, where

from .models import ImportJob

logger = logging.getLogger(__name__)

ACTION = "people.import"
MAIN = "identity"  # the sheet of one row per person; every other sheet's rows name one of its people
KEY = "citizen_id"  # the column keying every other sheet's rows to a person
UNIT = "unit"  # the main sheet's column of unit identifier codes
CSV_SHEET = "CSV"  # how errors name the one sheet of a CSV file
NOTES_PREFIX = "_"  # sheets whose name starts with it are notes, never read
GUIDE_SHEET = "_Hướng dẫn"
PROGRESS_EVERY = 200  # rows checked between two updates of the job's progress
MAX_ERRORS = 5000  # a file this wrong is not worth reading further
UNPACKED_BASE = 50 * 2**20  # what a workbook may unpack to: this plus UNPACKED_PER_ROW for each row allowed
UNPACKED_PER_ROW = 2048
DB_CHUNK = 500
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
# Required in every row, whatever the category: what creating a record asks for (people.services.create_person).
ESSENTIAL = (("identity", "full_name"), ("identity", "birth_date"), ("identity", "citizen_id"), ("employment", "category"))
HEADER_KEY = re.compile(r"\[\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\]\s*\*?\s*$")
BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
TRUE_WORDS = {"x", "có", "co", "yes", "true", "1", "đúng", "on"}
FALSE_WORDS = {"không", "khong", "no", "false", "0", "sai", "off"}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?[A-Z]+(\d+)\"")


# ---- the template's columns ----

@dataclass(frozen=True)
class Column:
    key: str  # what the header holds in brackets
    section: str | None = None  # None: the unit or key column
    field: str | None = None

    @property
    def label(self) -> str:
        if self.key == UNIT:
            return _("Identifier code of the unit")
        if self.section is None:
            return str(BY_NAME[MAIN].fields_by_name[KEY].label)
        return str(BY_NAME[self.section].fields_by_name[self.field].label)

    @property
    def header(self) -> str:
        return f"{self.label} [{self.key}]"


def sheet_columns(sec: Section) -> list[Column]:
    """The columns of a section's sheet in the template: the main sheet's unit first, the person's citizen ID elsewhere."""
    first = [Column(UNIT)] if sec.name == MAIN else [Column(KEY)]
    return first + [Column(item.name, sec.name, item.name) for item in sec.fields]


def csv_columns() -> list[Column]:
    """The CSV file's columns: the unit, then every field of the one-row sections, named section.field."""
    return [Column(UNIT)] + [Column(f"{sec.name}.{item.name}", sec.name, item.name) for sec in SECTIONS if not sec.repeating
                             for item in sec.fields]


def _kind_text(item: Field) -> str:
    kinds = {"date": _("date (dd/mm/yyyy)"), "int": _("whole number"), "year": _("year"), "decimal": _("number such as 2.34"),
             "bool": _("x or empty"), "email": _("e-mail address"), "phone": _("phone number"), "citizen_id": _("12 digits")}
    if item.kind == "choice":
        return _("code of the catalog “%(catalog)s” (page Catalogs)") % {"catalog": item.catalog}
    if item.kind == "options":
        return _("one of: %(codes)s") % {"codes": "; ".join(f"{code} = {label}" for code, label in item.options)}
    return kinds.get(item.kind, _("text, at most %(n)s characters") % {"n": item.max_length})


def _required_text(item: Field) -> str:
    if item.required_for == ALL:
        return _("everyone")
    return ", ".join(sorted(item.required_for))


def template_workbook() -> bytes:
    """The XLSX template: a guide, then one sheet per section of the résumé with its column headers (in the active language,
    each ending with the field's name in brackets). Columns are text so that codes and citizen IDs keep their leading zeros."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF7"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    guide = book.add_worksheet(GUIDE_SHEET)
    lines = [_("Import of records: how to fill this workbook"),
             _("One sheet per section of the résumé; do not rename the sheets or the columns (the field name in brackets is what "
               "counts). Columns may be left out, except those marked required for everyone. Sheets whose name starts with “_” are "
               "not read."),
             _("Sheet “identity”: one row per person. Its first column holds the identifier code of the person's unit; left empty, "
               "the unit chosen on upload is used."),
             _("Every other sheet: the person's citizen ID in the first column. Sheets of lists (work history, training, family...) "
               "hold as many rows per person as needed; the other sheets one row per person."),
             _("Dates as dd/mm/yyyy or date cells; codes as in the catalogs; nothing is imported unless every row is right."),
             ""]
    for index, line in enumerate(lines):
        guide.write(index, 0, line, bold if index == 0 else None)
    guide.set_column(0, 0, 18)
    guide.set_column(1, 1, 40)
    guide.set_column(2, 4, 30)
    start = len(lines)
    guide.write_row(start, 0, [_("Sheet"), _("Column"), _("Value"), _("Required for"), _("Section")], bold)
    row = start + 1
    for sec in SECTIONS:
        for item in sec.fields:
            guide.write_row(row, 0, [sec.name, f"{item.label} [{item.name}]", _kind_text(item), _required_text(item) if item.required_for else "",
                                     str(sec.label)])
            row += 1
    for sec in SECTIONS:
        sheet = book.add_worksheet(sec.name)
        columns = sheet_columns(sec)
        for index, column in enumerate(columns):
            item = BY_NAME[column.section].fields_by_name[column.field] if column.section else None
            width = 14 if item is not None and item.kind == "date" else 18 if column.section is None else 26
            sheet.set_column(index, index, width, day if item is not None and item.kind == "date" else text)
        sheet.set_row(0, 45)
        sheet.write_row(0, 0, [column.header for column in columns], bold)
        sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()


def template_csv() -> bytes:
    """The CSV variant: the header row of the one-row sections (UTF-8 with a byte-order mark, for Excel)."""
    out = io.StringIO()
    csv.writer(out).writerow([column.header for column in csv_columns()])
    return out.getvalue().encode("utf-8-sig")


# ---- reading a file ----

def _too_many(count: int, limit: int) -> ServiceError:
    return ServiceError(_("File: it holds %(count)s rows of data and at most %(limit)s can be imported at once; split it into smaller "
                          "files.") % {"count": f"{count:,}".replace(",", "."), "limit": f"{limit:,}".replace(",", ".")}, "file")


def _over(limit: int) -> ServiceError:
    return ServiceError(_("File: it holds more than %(limit)s rows of data, the most that can be imported at once; split it into smaller "
                          "files.") % {"limit": f"{limit:,}".replace(",", ".")}, "file")


def _xlsx_sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) of each worksheet, from the workbook's own index."""
    try:
        book = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - sized by the caller
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    except (KeyError, ET.ParseError) as exc:
        raise ServiceError(_("File: this is not an XLSX workbook, or it is damaged."), "file") from exc
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("p:Relationship", NS)}
    parts = []
    for sheet in book.findall("m:sheets/m:sheet", NS):
        target = targets.get(sheet.get(f"{{{NS['r']}}}id"), "")
        parts.append((sheet.get("name", ""), target.lstrip("/") if target.startswith("/") else f"xl/{target}"))
    return parts


def declared_rows(content: bytes, format: str, limit: int) -> int | None:
    """The rows of data the file holds, from what it declares, without reading its rows (a workbook's sheet dimensions;
    a CSV file is counted, stopping past the limit); None when a sheet does not say. ServiceError when over the limit or
    when the file is not what it claims."""
    if format == ImportJob.Format.CSV:
        count = -1
        for count, _row in enumerate(_csv_rows(content)):
            if count > limit:
                raise _over(limit)
        return max(count, 0)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise ServiceError(_("File: this is not an XLSX workbook, or it is damaged."), "file") from exc
    with archive:
        total, known = 0, True
        for name, part in _xlsx_sheet_parts(archive):
            if name.startswith(NOTES_PREFIX):
                continue
            try:
                with archive.open(part) as handle:
                    head = handle.read(65536)
            except KeyError as exc:
                raise ServiceError(_("File: this is not an XLSX workbook, or it is damaged."), "file") from exc
            found = DIMENSION.search(head)
            if found is None:
                known = False
                continue
            total += max(int(found.group(1)) - 1, 0)
            if total > limit:
                raise _too_many(total, limit)
        # What openpyxl will hold in memory (its shared strings) and parse: bounded whatever the sheets declare.
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > UNPACKED_BASE + UNPACKED_PER_ROW * limit:
            raise ServiceError(_("File: the workbook unpacks to %(size)s, more than can be imported at once; split it into smaller files.")
                               % {"size": filesizeformat(unpacked)}, "file")
    return total if known else None


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError(_("File: a CSV file must be saved as UTF-8 (“CSV UTF-8” in Excel)."), "file") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ServiceError(_("File: the CSV file cannot be read (%(problem)s).") % {"problem": exc}, "file") from exc


def read_rows(content: bytes, format: str) -> Iterator[tuple[str, int, tuple]]:
    """Every row of the file as (sheet name, row number from 1, cell values), streamed: a workbook through openpyxl's read-only
    mode, the main sheet first; a CSV file as one sheet. Declared sheet sizes are not trusted: every row present is read."""
    if format == ImportJob.Format.CSV:
        for number, row in enumerate(_csv_rows(content), 1):
            yield CSV_SHEET, number, tuple(row)
        return
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ServiceError(_("File: this is not an XLSX workbook, or it is damaged."), "file") from exc
    try:
        names = sorted(book.sheetnames, key=lambda name: name != MAIN)
        for name in names:
            sheet = book[name]
            if name.startswith(NOTES_PREFIX) or not hasattr(sheet, "reset_dimensions"):  # notes, and chart sheets
                continue
            sheet.reset_dimensions()  # a sheet declaring fewer rows than it holds would otherwise lose the rest
            number = 0
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
                yield name, number, tuple(row)
            if number == 0:
                yield name, 1, ()  # an empty sheet is still there
    finally:
        book.close()


# ---- checking a file ----

class _Stop(Exception):
    """Reading ends: too many rows or too many errors (the reason is the last error)."""


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(item: Field | None, value):
    """A cell as the record form would have received it: text, a date for date fields, numbers without a float's tail."""
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) and (item is None or item.kind != "bool"):
        value = str(int(value))
    kind = item.kind if item is not None else "citizen_id"
    if kind == "date":
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, str):
            text = value.strip()
            found = DAY_FIRST.match(text)
            if found:
                try:
                    return datetime.date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
                except ValueError:
                    return text  # refused by the form's rule, with its message
            return text
        return value
    if kind == "bool" and isinstance(value, str):
        word = nfc(value).lower()
        return True if word in TRUE_WORDS else None if word in FALSE_WORDS else value
    if kind == "citizen_id" and isinstance(value, int) and 0 <= value < 10**12:
        return f"{value:012d}"  # a spreadsheet read the number as an integer and dropped its leading zero
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    return nfc(str(value))


def _header_key(value) -> str | None:
    text = nfc(str(value)) if value is not None else ""
    found = HEADER_KEY.search(text)
    if found:
        return found.group(1)
    return text if BARE_KEY.match(text) else None


@dataclass
class _Sheet:
    name: str
    sections: tuple[str, ...]  # the sections its columns fill
    columns: list[Column | None] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)  # column key (section.field, unit, key) -> letter
    broken: bool = False
    headerless: bool = False
    unheaded: set[int] = field(default_factory=set)
    main: bool = False


@dataclass
class _Person:
    sheet: str
    row: int
    unit_id: int | None = None
    citizen_id: str = ""
    sections: dict = field(default_factory=dict)  # one-row section -> cleaned fields
    lists: dict = field(default_factory=dict)  # list section -> [(sheet row, cleaned row)]
    rows: dict = field(default_factory=dict)  # one-row section -> (sheet, row) holding it
    bad: set = field(default_factory=set)  # "section.field" or "section.<sheet row>.field" whose cell was refused

    def sort_lists(self) -> None:
        """Rows in the order the record keeps them (as people.validation.clean_section sorts a list), for check_record's row numbers."""
        for name, rows in self.lists.items():
            if BY_NAME[name].order_by:
                rows.sort(key=lambda pair, key=BY_NAME[name].order_by: str(pair[1].get(key, "")))

    def record(self) -> dict:
        record = empty_record()
        record.update(self.sections)
        for name, rows in self.lists.items():
            record[name] = [cleaned for _row, cleaned in rows]
        return record


class _Checker:
    """One pass over a file: every cell, every person's record, the duplicates and the scope; errors collected, never raised."""

    def __init__(self, job: ImportJob, today: datetime.date):
        self.job, self.today = job, today
        self.user = job.created_by
        self.limit = settings.IMPORT_MAX_ROWS
        self.codes = CatalogCodes()
        self.salary_steps = salary_tables()
        self.scope = authz.scope(self.user, ACTION, today)
        self.units = dict(UnitVersion.objects.filter(valid_to__isnull=True).exclude(code="").values_list("code", "unit_id"))
        self.errors: list[dict] = []
        self.sheets: dict[str, _Sheet] = {}
        self.people: dict[str, _Person] = {}
        self.order: list[_Person] = []
        self.done = 0
        self.sheet: _Sheet | None = None
        self.sheet_name = ""

    # -- reporting --

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": str(message)})
        if len(self.errors) >= MAX_ERRORS:
            self.errors.append({"sheet": "", "row": None, "column": "", "message": _(
                "Checking stopped after %(n)s errors: correct these and upload the file again.") % {"n": MAX_ERRORS}})
            raise _Stop

    @property
    def csv_file(self) -> bool:
        return self.job.format == ImportJob.Format.CSV

    def column_text(self, sheet: _Sheet | None, column: Column) -> str:
        """How the report names a column: its letter in the file, when there, and its header as in the template."""
        letter = sheet.letters.get(f"{column.section}.{column.field}" if column.section else column.key, "") if sheet else ""
        return f"{letter} – {column.header}" if letter else column.header

    def field_column(self, sheet: _Sheet | None, section: str, name: str) -> str:
        return self.column_text(sheet, Column(f"{section}.{name}" if self.csv_file else name, section, name))

    # -- the pass --

    def run(self) -> list[tuple[int, dict]]:
        content = bytes(self.job.content)
        try:
            total = declared_rows(content, self.job.format, self.limit)
            if total is not None:
                self.job.rows_total = total
                ImportJob.objects.filter(pk=self.job.pk).update(rows_total=total)
            for sheet, number, values in read_rows(content, self.job.format):
                if sheet != self.sheet_name:
                    self.sheet_name, self.sheet = sheet, None
                if number == 1:
                    self.sheet = self.header(sheet, values)
                    continue
                if self.sheet is None or all(_blank(v) for v in values):
                    continue
                self.done += 1
                if self.done > self.limit:
                    self.errors.append({"sheet": sheet, "row": number, "column": "", "message": _over(self.limit).message})
                    raise _Stop
                if self.done % PROGRESS_EVERY == 0:
                    ImportJob.objects.filter(pk=self.job.pk).update(rows_done=self.done,
                                                                    rows_total=max(self.done, self.job.rows_total or 0))
                self.row(self.sheet, number, values)
            self.finish()
        except ServiceError as exc:
            self.errors.append({"sheet": "", "row": None, "column": "", "message": exc.message})
        except _Stop:
            pass
        self.job.rows_done = self.done
        self.job.rows_total = max(self.done, self.job.rows_total or 0)
        return [] if self.errors else [(person.unit_id, person.record()) for person in self.order]

    # -- headers --

    def header(self, name: str, values) -> _Sheet | None:
        if name in self.sheets or (not self.csv_file and name.startswith(NOTES_PREFIX)):  # notes are not read
            return None
        if self.csv_file:
            sheet = _Sheet(name, tuple(s.name for s in SECTIONS if not s.repeating), main=True)
        elif name in BY_NAME:
            sheet = _Sheet(name, (name,), main=name == MAIN)
        else:
            sheet = _Sheet(name, (), broken=True)
            self.sheets[name] = sheet
            self.add(name, 1, "", _("Sheet “%(name)s”: the record has no section of this name; name each sheet as in the template "
                                    "(sheets of notes start with “_”).") % {"name": name})
            return sheet
        self.sheets[name] = sheet
        if all(_blank(v) for v in values):
            sheet.headerless = True
            return sheet
        seen: dict[str, str] = {}
        for index, value in enumerate(values):
            letter = get_column_letter(index + 1)
            if _blank(value):
                sheet.columns.append(None)
                continue
            column, problem = self.resolve(sheet, _header_key(value))
            if column is not None and column.key in seen:
                column, problem = None, _("the same field is already in column %(letter)s.") % {"letter": seen[column.key]}
            if problem:
                self.add(name, 1, f"{letter} – {nfc(str(value))}", problem)
                sheet.broken = True
            sheet.columns.append(column)
            if column is not None:
                seen[column.key] = letter
                sheet.letters[f"{column.section}.{column.field}" if column.section else column.key] = letter
        for column in self.needed(sheet):
            if column.key not in seen:
                self.add(name, 1, column.header, _("this column is missing; add it as in the template."))
                sheet.broken = True
        return sheet

    def resolve(self, sheet: _Sheet, key: str | None) -> tuple[Column | None, str | None]:
        """The column a header names, or why it names none."""
        if key is None:
            return None, _("the header must end with the field's name in brackets, as in the template.")
        if key == UNIT:
            return (Column(UNIT), None) if sheet.main else (None, _("the unit goes in sheet “%(sheet)s” only.") % {"sheet": MAIN})
        section_name, _dot, name = key.rpartition(".")
        if self.csv_file:
            if not section_name:
                owners = [s.name for s in SECTIONS if not s.repeating and key in s.fields_by_name]
                if len(owners) != 1:
                    return None, _("name the field with its section, as in the template (section.field).")
                section_name = owners[0]
            sec = BY_NAME.get(section_name)
            if sec is None or name not in sec.fields_by_name:
                return None, _("the record has no field “%(key)s”.") % {"key": key}
            if sec.repeating:
                return None, _("a CSV file holds the sections of one row per person; lists go in the sheets of the XLSX template.")
            return Column(f"{sec.name}.{name}", sec.name, name), None
        sec = BY_NAME[sheet.name]
        if section_name and section_name != sec.name:
            return None, _("this field belongs in sheet “%(sheet)s”.") % {"sheet": section_name}
        if name == KEY and sec.name != MAIN:
            return Column(KEY), None
        if name not in sec.fields_by_name:
            return None, _("the section “%(section)s” has no field “%(key)s”.") % {"section": sec.label, "key": name}
        return Column(name, sec.name, name), None

    def needed(self, sheet: _Sheet) -> list[Column]:
        """Columns a sheet must have: the key, the unit (unless the upload names one), and the fields required of everyone."""
        columns = [] if sheet.main else [Column(KEY)]
        if sheet.main and self.job.unit_id is None:
            columns.append(Column(UNIT))
        for name in sheet.sections:
            for item in BY_NAME[name].fields:
                if item.required_for == ALL:
                    columns.append(Column(f"{name}.{item.name}" if self.csv_file else item.name, name, item.name))
        return columns

    # -- rows --

    def row(self, sheet: _Sheet, number: int, values) -> None:
        if sheet.broken:
            return
        if sheet.headerless:
            sheet.broken = True
            self.add(sheet.name, 1, "", _("row 1 must hold the column headers, as in the template."))
            return
        by_section: dict[str, dict] = {}
        unit_code = citizen_id = None
        for index, value in enumerate(values):
            column = sheet.columns[index] if index < len(sheet.columns) else None
            if column is None:
                if not _blank(value) and index not in sheet.unheaded:
                    sheet.unheaded.add(index)
                    self.add(sheet.name, number, get_column_letter(index + 1),
                             _("this column has values but no header: name its field as in the template, or empty it."))
                continue
            if column.key == UNIT:
                unit_code = None if _blank(value) else nfc(str(value))
            elif column.section is None:
                citizen_id = _cell(None, value)
            else:
                item = BY_NAME[column.section].fields_by_name[column.field]
                by_section.setdefault(column.section, {})[column.field] = _cell(item, value)
        if sheet.main:
            self.main_row(sheet, number, unit_code, by_section)
        else:
            self.section_row(sheet, number, citizen_id, by_section.get(sheet.name, {}))

    def main_row(self, sheet: _Sheet, number: int, unit_code, by_section: dict) -> None:
        person = _Person(sheet.name, number)
        person.unit_id = self.unit(sheet, number, unit_code)
        citizen_id = by_section.get(MAIN, {}).get(KEY)
        citizen_id = citizen_id if isinstance(citizen_id, str) else None
        for name, raw in by_section.items():
            person.sections[name] = self.clean(sheet, number, BY_NAME[name], raw, person)
            person.rows[name] = (sheet.name, number)
        if citizen_id:
            first = self.people.get(citizen_id)
            if first is not None:
                self.add(sheet.name, number, self.field_column(sheet, MAIN, KEY),
                         _("the same citizen ID is already on row %(row)s of this sheet; a person has one record.") % {"row": first.row})
                return
            person.citizen_id = citizen_id
            self.people[citizen_id] = person
        self.order.append(person)

    def unit(self, sheet: _Sheet, number: int, code) -> int | None:
        column = self.column_text(sheet, Column(UNIT))
        if not code:
            if self.job.unit_id is None:
                self.add(sheet.name, number, column, _("enter the identifier code of the person's unit, or choose a unit on upload."))
            unit_id = self.job.unit_id
        else:
            unit_id = self.units.get(code.strip().upper())
            if unit_id is None:
                self.add(sheet.name, number, column, _("no unit in force has the identifier code “%(code)s”.") % {"code": code[:40]})
                return None
        if unit_id is not None and unit_id not in self.scope:
            self.add(sheet.name, number, column, _("you may not import records into this unit."))
            return None
        return unit_id

    def section_row(self, sheet: _Sheet, number: int, citizen_id, raw: dict) -> None:
        sec = BY_NAME[sheet.name]
        key_column = self.column_text(sheet, Column(KEY))
        person = self.people.get(citizen_id) if citizen_id else None
        if not citizen_id:
            self.add(sheet.name, number, key_column, _("enter the citizen ID of the person this row belongs to."))
        elif person is None and not self.main_broken():  # a broken or missing main sheet is reported once, as such
            self.add(sheet.name, number, key_column, _("no row of sheet “%(sheet)s” has this citizen ID.") % {"sheet": MAIN})
        holder = person or _Person(sheet.name, number)
        if not sec.repeating:
            if person is not None and sec.name in person.rows:
                self.add(sheet.name, number, key_column, _("this person already has a row in this sheet (row %(row)s); the section holds one "
                                                           "row per person.") % {"row": person.rows[sec.name][1]})
                return
            cleaned = self.clean(sheet, number, sec, raw, holder)
            holder.sections[sec.name], holder.rows[sec.name] = cleaned, (sheet.name, number)
            return
        rows = holder.lists.setdefault(sec.name, [])
        if len(rows) >= MAX_ROWS:
            self.add(sheet.name, number, key_column, _("at most %(n)s rows per person in this sheet.") % {"n": MAX_ROWS})
            return
        cleaned = self.clean(sheet, number, sec, raw, holder)
        if cleaned:
            rows.append((number, cleaned))

    def clean(self, sheet: _Sheet, number: int, sec: Section, raw: dict, person: _Person) -> dict:
        """The section's row as the record form stores it; each refused cell is reported and left out."""
        raw = {name: value for name, value in raw.items() if value is not None}
        refused: set[str] = set()
        mark = (lambda name: f"{sec.name}.{number}.{name}") if sec.repeating else (lambda name: f"{sec.name}.{name}")
        while True:
            try:
                cleaned = clean_section(sec.name, [raw] if sec.repeating else raw, self.today, self.codes)
            except ServiceError as exc:
                name = (exc.field or "").rsplit(".", 1)[-1]
                item = sec.fields_by_name.get(name)
                if item is None:  # not a field's problem: report it on the row
                    self.add(sheet.name, number, "", exc.message)
                    return {}
                if name in raw:
                    if name not in refused:
                        self.add(sheet.name, number, self.field_column(sheet, sec.name, name), self.problem(exc.message, sec, item, 0))
                    refused.add(name)
                    person.bad.add(mark(name))
                    del raw[name]
                    continue
                # A field the row requires is empty: list every such field, then give up the row.
                for required in sec.fields:
                    if required.required_for and required.name not in raw and required.name not in refused:
                        self.add(sheet.name, number, self.field_column(sheet, sec.name, required.name), _("this field is required."))
                        person.bad.add(mark(required.name))
                return {}
            if sec.repeating:
                return cleaned[0] if cleaned else {}
            return cleaned

    @staticmethod
    def problem(message: str, sec: Section, item: Field, row: int | None) -> str:
        """The form's message without its “Section – Field:” prefix: the report names the sheet and the column."""
        for prefix in (f"{where(sec, item, row if sec.repeating else None)}: ", f"{where(sec, item, None)}: "):
            if message.startswith(prefix):
                return message[len(prefix):]
        return message

    # -- people --

    def finish(self) -> None:
        if not self.csv_file and MAIN not in self.sheets:
            self.add(MAIN, None, "", _("The workbook has no sheet “%(sheet)s”: it holds one row per person, as in the template.")
                     % {"sheet": MAIN})
            return
        if not self.order and not self.errors:
            self.add(self.sheet_main(), None, "", _("The file holds nobody: fill one row per person under the headers."))
            return
        if self.main_broken():
            return  # its people are not known: the other sheets' rows were checked cell by cell
        self.check_taken()
        # The sections of a sheet whose headers are wrong are unknown, not empty: no person is told they are missing.
        unknown = {name for sheet in self.sheets.values() if sheet.broken for name in sheet.sections}
        for person in self.order:
            self.check_person(person, unknown)

    def sheet_main(self) -> str:
        return CSV_SHEET if self.csv_file else MAIN

    def main_broken(self) -> bool:
        main = self.sheets.get(self.sheet_main())
        return main is None or main.broken

    def check_taken(self) -> None:
        """Citizen IDs some record of the province already holds (the blind index, as people.services checks one at a time)."""
        by_index = {blind_index(person.citizen_id): person for person in self.order if person.citizen_id}
        indexes = list(by_index)
        for start in range(0, len(indexes), DB_CHUNK):
            for taken in Person.objects.filter(citizen_id_index__in=indexes[start:start + DB_CHUNK]).values_list("citizen_id_index", flat=True):
                person = by_index[taken]
                self.add(person.sheet, person.row, self.field_column(self.sheets.get(person.sheet), MAIN, KEY),
                         _("another record of the province already has this citizen ID."))

    def location(self, person: _Person, section: str, name: str, row_index: int | None) -> tuple[str, int | None, str] | None:
        """Where a field of a person's record came from (sheet, row, column); None when its cell was already reported."""
        sec = BY_NAME[section]
        if sec.repeating:
            rows = person.lists.get(section, [])
            number = rows[row_index][0] if row_index is not None and row_index < len(rows) else None
            if f"{section}.{number}.{name}" in person.bad:
                return None
            sheet_name = section
        else:
            if f"{section}.{name}" in person.bad:
                return None
            sheet_name, number = (person.sheet, person.row) if self.csv_file else person.rows.get(section, (section, None))
        return sheet_name, number, self.field_column(self.sheets.get(sheet_name), section, name)

    def check_person(self, person: _Person, unknown: set[str]) -> None:
        person.sort_lists()
        record = person.record()
        missing = set()
        for section, name in ESSENTIAL:
            if name not in record[section] and section not in unknown:
                missing.add(f"{section}.{name}")
                place = self.location(person, section, name, None)
                if place:
                    self.add(*place, _("this field is required."))
        for problem in check_record(record, self.today, self.salary_steps):
            parts = problem.field.split(".")
            section, name = parts[0], parts[-1]
            index = int(parts[1]) if len(parts) == 3 else None
            if problem.field in missing or section in unknown:
                continue
            place = self.location(person, section, name, index)
            if place:
                sec = BY_NAME[section]
                self.add(*place, self.problem(problem.message, sec, sec.fields_by_name[name], index))


# ---- jobs ----

def _safe_name(name: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f/\\]", "", nfc(name or ""))[:200] or "import"


def _refuse(user, message: str, field_name: str = "file", request=None, **details):
    record_refusal(user, "imports.upload", reason=message, details=details, request=request)
    raise ServiceError(message, field_name)


def start_import(user, upload, *, dry_run: bool = True, unit=None, request=None) -> ImportJob:
    """Take an uploaded XLSX or CSV file: check the uploader may import (into the unit, when one is chosen), what the file is and
    that it is not over the row limit; then the worker checks it (a dry run) or checks and applies it."""
    if not authz.can(user, ACTION):
        record_refusal(user, "imports.upload", reason="out of scope", request=request)
        raise PermissionDenied(_("You are not allowed to import records."))
    if unit is not None and not authz.can(user, ACTION, unit.pk):
        record_refusal(user, "imports.upload", reason="out of scope", unit_id=unit.pk, request=request)
        raise PermissionDenied(_("You may not import records into this unit."))
    name = _safe_name(getattr(upload, "name", ""))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ImportJob.Format.values:
        _refuse(user, _("File: only XLSX workbooks and CSV files can be imported (an old .xls file: save it as .xlsx)."), request=request)
    size = getattr(upload, "size", 0) or 0
    if size > settings.DOCUMENT_MAX_BYTES:
        _refuse(user, document_too_large(), request=request)
    content = b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read()
    if not content:
        _refuse(user, _("File: the file is empty."), request=request)
    if len(content) > settings.DOCUMENT_MAX_BYTES:
        _refuse(user, document_too_large(), request=request)
    if (extension == "xlsx") != content.startswith(b"PK\x03\x04"):
        _refuse(user, _("File: this is not an XLSX workbook, or it is damaged.") if extension == "xlsx"
                else _("File: this is a workbook, not a CSV file; name it .xlsx."), request=request)
    try:
        total = declared_rows(content, extension, settings.IMPORT_MAX_ROWS)
    except ServiceError as exc:
        _refuse(user, exc.message, request=request, format=extension)
    digest = hashlib.sha256(content).hexdigest()
    job = ImportJob.objects.create(created_by=user, unit=unit, file_name=name, format=extension, size=len(content), sha256=digest,
                                   content=content, dry_run=dry_run, rows_total=total,
                                   language=translation.get_language() or settings.LANGUAGE_CODE)
    audit(user, "imports.upload", obj=job, unit_id=job.unit_id, details={"sha256": digest, "size": len(content), "format": extension,
                                                                          "dry_run": dry_run, "rows": total}, request=request)
    from .tasks import apply_import, validate_import

    task = validate_import if dry_run else apply_import
    transaction.on_commit(lambda: task.enqueue(job.pk))
    return job


def request_apply(user, job: ImportJob, *, request=None) -> ImportJob:
    """Apply a dry run found valid: the worker checks the file again (the database may have changed) and applies it."""
    authz.require(user, ACTION)
    if job.created_by_id != user.pk:
        raise ImportJob.DoesNotExist
    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.VALID, dry_run=True).update(
        state=ImportJob.State.APPLYING, rows_done=0, started_at=None, finished_at=None)
    if not claimed:
        record_refusal(user, "imports.apply", reason="not a valid dry run", details={"job": job.pk}, request=request)
        raise ServiceError(_("Only a dry run found valid can be applied; this import is “%(state)s”.")
                           % {"state": job.get_state_display()}, "state")
    job.refresh_from_db()
    audit(user, "imports.apply", obj=job, unit_id=job.unit_id, details={"stage": "requested"}, request=request)
    from .tasks import apply_import

    transaction.on_commit(lambda: apply_import.enqueue(job.pk))
    return job


def _finish(job: ImportJob, state: str, errors: list[dict], **fields) -> ImportJob:
    job.state, job.errors, job.finished_at = state, errors, timezone.now()
    keep = state == ImportJob.State.VALID and job.dry_run  # the bytes wait for the apply; otherwise only their hash remains
    if not keep:
        job.content = b""
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def _check(job: ImportJob) -> tuple[list[tuple[int, dict]], list[dict]]:
    authz.forget(job.created_by)  # rights are judged now, not when the file was uploaded
    if not authz.can(job.created_by, ACTION):
        return [], [{"sheet": "", "row": None, "column": "", "message": _("You are no longer allowed to import records.")}]
    checker = _Checker(job, timezone.localdate())
    records = checker.run()
    return records, checker.errors


def validate(job: ImportJob) -> ImportJob:
    """Check every row of the file (a dry run): valid or invalid, with every error by sheet, row and column; nothing is written."""
    with translation.override(job.language or settings.LANGUAGE_CODE):
        job.state, job.started_at, job.rows_done = ImportJob.State.VALIDATING, timezone.now(), 0
        job.save(update_fields=["state", "started_at", "rows_done"])
        try:
            records, errors = _check(job)
        except Exception:  # whatever broke, the job ends failed and says so; nothing was written
            logger.exception("import %s: validation failed", job.pk)
            return _failed(job, "imports.validate")
        _finish(job, ImportJob.State.INVALID if errors else ImportJob.State.VALID, errors)
        _audit_check(job, records, errors)
    return job


def _audit_check(job: ImportJob, records: list, errors: list[dict]) -> None:
    audit(job.created_by, "imports.validate", obj=job, unit_id=job.unit_id, outcome="refused" if errors else "ok",
          details={"rows": job.rows_done, "people": len(records), "errors": len(errors), "sha256": job.sha256, "dry_run": job.dry_run})


def _failed(job: ImportJob, action: str, message: str | None = None) -> ImportJob:
    message = message or _("The import could not be completed and nothing was applied. Try again later; if it fails again, report "
                           "the problem.")
    _finish(job, ImportJob.State.FAILED, [{"sheet": "", "row": None, "column": "", "message": message}])
    audit(job.created_by, action, obj=job, unit_id=job.unit_id, outcome="failed", details={"sha256": job.sha256})
    return job


def apply(job: ImportJob) -> ImportJob:
    """Check the file again, then create every person of it in one transaction, each with approved version 1 (unsigned,
    so it enters the month's approval); any error, and nothing at all is created."""
    user = job.created_by
    with translation.override(job.language or settings.LANGUAGE_CODE):
        job.state, job.started_at, job.rows_done = ImportJob.State.APPLYING, timezone.now(), 0
        job.save(update_fields=["state", "started_at", "rows_done"])
        try:
            records, errors = _check(job)
            _audit_check(job, records, errors)
            if errors:
                _finish(job, ImportJob.State.INVALID, errors)
                audit(user, "imports.apply", obj=job, unit_id=job.unit_id, outcome="refused",
                      details={"rows": job.rows_done, "errors": len(errors), "sha256": job.sha256})
                return job
            indexes = [blind_index(record["identity"]["citizen_id"]) for _unit, record in records]
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.state != ImportJob.State.APPLYING or locked.people_created:
                    return locked
                people.load_approved(records, approved_by=user)
                created = []
                for start in range(0, len(indexes), DB_CHUNK):
                    created += list(Person.objects.filter(citizen_id_index__in=indexes[start:start + DB_CHUNK]).values_list("pk", "unit_id"))
                record_many(user, "people.import", Person, [(pk, unit_id, {"import": job.pk}) for pk, unit_id in created])
                _finish(job, ImportJob.State.APPLIED, [], people_created=len(created))
                audit(user, "imports.apply", obj=job, unit_id=job.unit_id,
                      details={"rows": job.rows_done, "people": len(created), "sha256": job.sha256})
        except IntegrityError:
            logger.warning("import %s: a citizen ID was taken while applying", job.pk)
            return _failed(job, "imports.apply", _("Another record with one of these citizen IDs was saved while the file was applied; nothing was "
                                  "applied. Upload the file again to see which."))
        except Exception:
            logger.exception("import %s: apply failed", job.pk)
            return _failed(job, "imports.apply")
    _refresh_obligations([pk for pk, _unit in created])
    return job


def _refresh_obligations(person_ids: list[int]) -> None:
    """The new people's deadlines (their accounts are now due, R-6.3); the night's run catches up if this fails."""
    from compliance.services import refresh

    try:
        for start in range(0, len(person_ids), 2000):
            refresh(person_ids=person_ids[start:start + 2000])
    except Exception:
        logger.exception("imports: obligations of the imported people not refreshed")


def visible_jobs(user):
    """The caller's imports, newest first (an import is seen by its uploader alone), without the files' bytes."""
    authz.require(user, ACTION)
    return ImportJob.objects.filter(created_by=user).defer("content")


def job_for(user, pk: int) -> ImportJob:
    """One of the caller's imports; ImportJob.DoesNotExist for anyone else's."""
    authz.require(user, ACTION)
    return ImportJob.objects.defer("content").get(pk=pk, created_by=user)


def _csv_cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def errors_csv(job: ImportJob) -> bytes:
    """The error report as CSV (UTF-8 with a byte-order mark), one line per error."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Sheet"), _("Row"), _("Column"), _("Problem")])
    for error in job.errors:
        writer.writerow([_csv_cell(error.get("sheet")), error.get("row") or "", _csv_cell(error.get("column")), _csv_cell(error.get("message"))])
    return out.getvalue().encode("utf-8-sig")
