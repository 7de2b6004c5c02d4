import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from imports import services
from people.form import BY_NAME
from tests.conftest import UserFactory
from tests.people.conftest import RECORD, sample_record

FINANCE, BUDGET_OFFICE, PLANNING = "000.00.01.H19", "000.02.01.H19", "000.00.02.H19"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the site's own language is Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def officer(small_tree):
    """The HR officer of Sở Tài chính (and the units under it): may import there, not at Sở KH&ĐT."""
    return UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))


def records(count: int, start: int = 0) -> list[dict]:
    """`count` valid civil servants (the sample's record), each with their own citizen ID and name."""
    return [sample_record(identity={**RECORD["identity"], "citizen_id": f"0750850090{start + i:02d}", "full_name": f"Trần Văn Nhập {start + i}"})
            for i in range(count)]


def fill(people: list[dict], unit: str = BUDGET_OFFICE, template: bytes | None = None) -> openpyxl.Workbook:
    """The downloaded template filled in as an HR officer would: a row per person and per list row, under its headers."""
    book = openpyxl.load_workbook(io.BytesIO(template or services.template_workbook()))
    for sheet in book.worksheets:
        if sheet.title.startswith("_"):
            continue
        sec = BY_NAME[sheet.title]
        keys = [services._header_key(cell.value) for cell in sheet[1]]
        for record in people:
            rows = record[sec.name] if sec.repeating else [record[sec.name]] if record[sec.name] else []
            for values in rows:
                sheet.append([unit if key == "unit" else record["identity"]["citizen_id"] if key == "citizen_id" and sec.name != "identity"
                              else values.get(key) for key in keys])
    return book


def xlsx(book: openpyxl.Workbook, name: str = "ho-so.xlsx") -> SimpleUploadedFile:
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def cell(book: openpyxl.Workbook, sheet: str, row: int, key: str):
    """The cell of a field's column (by the name in its header) in a row of a sheet."""
    keys = [services._header_key(c.value) for c in book[sheet][1]]
    return book[sheet].cell(row=row, column=keys.index(key) + 1)


def column(book: openpyxl.Workbook, sheet: str, key: str) -> int:
    return [services._header_key(c.value) for c in book[sheet][1]].index(key) + 1
