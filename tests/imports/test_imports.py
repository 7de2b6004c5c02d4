"""Bulk import of legacy records (R-9.1): the template, every row checked by the record form's rules, errors by sheet, row
and column, the dry run, the all-or-nothing apply, and the refusals of bad files."""

import csv
import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import VersionSignature
from audit.models import AuditEvent
from common.errors import ServiceError
from imports import services
from imports.models import ImportJob
from imports.tasks import apply_import, validate_import
from people import services as people
from people.models import Person, RecordVersion
from tests.conftest import UserFactory
from tests.people.conftest import unit

from .conftest import BUDGET_OFFICE, PLANNING, cell, column, fill, records, xlsx

State = ImportJob.State


def errors_of(job: ImportJob) -> list[tuple]:
    return [(e["sheet"], e["row"], e["column"], e["message"]) for e in job.errors]


def test_template_round_trip_creates_people_with_version_1_unsigned_R_9_1(officer):
    book = openpyxl.load_workbook(io.BytesIO(services.template_workbook()))
    assert [s.title for s in book.worksheets][1:4] == ["identity", "contacts", "employment"]
    assert book["identity"]["A1"].value.endswith("[unit]") and book["family"]["A1"].value.endswith("[citizen_id]")
    wanted = records(3)
    job = services.start_import(officer, xlsx(fill(wanted)), dry_run=False)
    assert job.state == State.UPLOADED and job.rows_total == sum(
        1 + sum(len(r[s]) if isinstance(r[s], list) else 1 for s in r if r[s] and s != "identity") for r in wanted)
    assert apply_import.call(job.pk) == State.APPLIED
    job.refresh_from_db()
    assert job.people_created == 3 and job.errors == [] and job.rows_done == job.rows_total and bytes(job.content) == b""
    imported = Person.objects.order_by("full_name")
    assert [p.full_name for p in imported] == ["Trần Văn Nhập 0", "Trần Văn Nhập 1", "Trần Văn Nhập 2"]
    for person, record in zip(imported, wanted, strict=True):
        assert person.version == 1 and person.unit_id == unit(BUDGET_OFFICE).pk
        assert people.approved_record(person) == record  # every section, lists included, as entered
    assert set(RecordVersion.objects.values_list("number", "approved_by")) == {(1, officer.pk)}
    assert not VersionSignature.objects.exists()  # version 1 waits for the month's signature
    assert AuditEvent.objects.filter(action="people.import").count() == 3
    assert {e.action for e in AuditEvent.objects.filter(object_type="imports.importjob")} == {"imports.upload", "imports.validate",
                                                                                            "imports.apply"}


def test_dry_run_changes_nothing_then_apply_applies_R_9_1(officer):
    job = services.start_import(officer, xlsx(fill(records(2))), dry_run=True)
    assert validate_import.call(job.pk) == State.VALID
    assert validate_import.call(job.pk) == State.VALID  # runs once
    assert not Person.objects.exists()
    assert apply_import.call(job.pk) == State.VALID  # a dry run is applied only when asked
    job.refresh_from_db()
    services.request_apply(officer, job)
    with pytest.raises(ServiceError):
        services.request_apply(officer, job)  # asked twice: applied once
    assert apply_import.call(job.pk) == State.APPLIED
    assert Person.objects.count() == 2 and ImportJob.objects.get().people_created == 2


def test_an_error_in_row_n_of_a_sheet_names_sheet_row_and_column_and_nothing_is_applied_R_9_1(officer):
    book = fill(records(3))
    cell(book, "work_history", 3, "from_date").value = "31/02/2019"  # the second person's work history
    cell(book, "identity", 4, "birth_date").value = "14/03/2090"
    cell(book, "salary", 2, "salary_coefficient").value = "4.20"  # step 3 of the rank's table is 3.00
    cell(book, "family", 2, "relation").value = "uncle"
    cell(book, "contacts", 3, "permanent_address").value = None  # required of everyone
    job = services.start_import(officer, xlsx(book), dry_run=False)
    assert apply_import.call(job.pk) == State.INVALID
    job.refresh_from_db()
    found = errors_of(job)
    assert ("work_history", 3, "B – From [from_date]", "enter a date (dd/mm/yyyy).") in found
    assert ("identity", 4, "D – Date of birth [birth_date]", "the date is in the future.") in found
    assert ("salary", 2, "E – Salary coefficient [salary_coefficient]", "step 3 of this rank's table has the coefficient 3.00.") in found
    assert ("family", 2, "C – Relation [relation]", "“uncle” is not one of the choices.") in found
    assert ("contacts", 3, "B – Permanent residence [permanent_address]", "this field is required.") in found
    assert len(found) == 5  # each problem once: no "required" echo of a refused cell
    assert not Person.objects.exists() and not RecordVersion.objects.exists()
    assert AuditEvent.objects.get(action="imports.apply").outcome == "refused"


def test_cells_are_read_as_the_form_reads_them_R_9_1(officer):
    """Dates as dd/mm/yyyy or date cells, citizen IDs typed as numbers, yes marks: what legacy sheets hold."""
    wanted = records(1)
    wanted[0]["positions"] = [{"position": "GD_SO", "appointed_on": "2020-01-15", "concurrent": True}]
    book = fill(wanted)
    cell(book, "identity", 2, "birth_date").value = "14/03/1985"
    cell(book, "identity", 2, "citizen_id").value = int(wanted[0]["identity"]["citizen_id"])  # the leading zero lost
    cell(book, "positions", 2, "concurrent").value = "x"
    job = services.start_import(officer, xlsx(book), dry_run=False)
    assert apply_import.call(job.pk) == State.APPLIED, ImportJob.objects.get().errors
    record = people.approved_record(Person.objects.get())
    assert record["identity"]["birth_date"] == "1985-03-14" and record["identity"]["citizen_id"] == wanted[0]["identity"]["citizen_id"]
    assert record["positions"] == [{"position": "GD_SO", "appointed_on": "2020-01-15", "concurrent": True}]


def test_wrong_columns_are_each_named_and_nothing_is_read_under_them_R_9_1(officer):
    book = fill(records(2))
    book["identity"].cell(row=1, column=column(book, "identity", "other_names")).value = "Biệt danh [nickname]"
    book["contacts"].delete_cols(column(book, "contacts", "permanent_address"))
    book["training"].cell(row=1, column=column(book, "training", "degree")).value = "Bằng cấp"
    book["rewards"].cell(row=1, column=column(book, "rewards", "title")).value = "Năm [decided_on]"
    book.create_sheet("Sheet1")["A1"] = "ghi chú"
    job = services.start_import(officer, xlsx(book))
    validate_import.call(job.pk)
    job.refresh_from_db()
    assert job.state == State.INVALID
    found = errors_of(job)
    assert ("identity", 1, "C – Biệt danh [nickname]", "the section “Identity” has no field “nickname”.") in found
    assert ("contacts", 1, "Permanent residence [permanent_address]", "this column is missing; add it as in the template.") in found
    assert ("training", 1, "G – Bằng cấp", "the header must end with the field's name in brackets, as in the template.") in found
    assert ("rewards", 1, "C – Năm [decided_on]", "the same field is already in column B.") in found
    assert ("rewards", 1, "Form of reward [title]", "this column is missing; add it as in the template.") in found  # renamed away
    assert any(e[0] == "Sheet1" and "no section of this name" in e[3] for e in found)
    assert len(found) == 6, "\n".join(map(str, found))  # the rows under broken headers are not checked one by one
    assert not Person.objects.exists()


def test_a_sheet_with_wrong_columns_is_reported_once_not_person_by_person_R_9_1(officer):
    book = fill(records(3))
    book["employment"].delete_cols(column(book, "employment", "category"))
    job = services.start_import(officer, xlsx(book), dry_run=False)
    assert apply_import.call(job.pk) == State.INVALID
    assert errors_of(ImportJob.objects.get()) == [("employment", 1, "Category [category]", "this column is missing; add it as in the template.")]
    assert not Person.objects.exists()


def test_a_workbook_without_the_main_sheet_or_with_unheaded_values_is_refused_R_9_1(officer):
    book = fill(records(1))
    book["languages"].cell(row=2, column=10).value = "lost?"  # no header above it: never silently dropped
    del book["identity"]
    job = services.start_import(officer, xlsx(book))
    validate_import.call(job.pk)
    found = errors_of(ImportJob.objects.get())
    assert ("languages", 2, "J", "this column has values but no header: name its field as in the template, or empty it.") in found
    assert ("identity", None, "", "The workbook has no sheet “identity”: it holds one row per person, as in the template.") in found


def test_duplicate_citizen_id_in_file_is_reported_by_row_R_9_1(officer):
    twins = records(3)
    twins[2]["identity"]["citizen_id"] = twins[0]["identity"]["citizen_id"]
    job = services.start_import(officer, xlsx(fill(twins)), dry_run=False)
    assert apply_import.call(job.pk) == State.INVALID
    found = errors_of(ImportJob.objects.get())
    assert ("identity", 4, "J – Citizen ID number [citizen_id]",
            "the same citizen ID is already on row 2 of this sheet; a person has one record.") in found
    # The twin's rows in the other sheets: one row per person in the one-row sections.
    assert ("contacts", 4, "A – Citizen ID number [citizen_id]",
            "this person already has a row in this sheet (row 2); the section holds one row per person.") in found
    assert not Person.objects.exists()


def test_citizen_id_already_in_the_database_is_refused_R_9_1(officer, admin_user):
    existing, new = records(2)
    people.load_approved([(unit(BUDGET_OFFICE).pk, existing)], approved_by=admin_user)
    job = services.start_import(officer, xlsx(fill([new, existing])), dry_run=False)
    assert apply_import.call(job.pk) == State.INVALID
    assert errors_of(ImportJob.objects.get()) == [
        ("identity", 3, "J – Citizen ID number [citizen_id]", "another record of the province already has this citizen ID.")]
    assert Person.objects.count() == 1  # the new person is not created either, and the existing record is untouched
    assert Person.objects.get().version == 1


def test_a_citizen_id_taken_while_applying_leaves_nothing_applied_R_9_1(officer, admin_user, monkeypatch):
    wanted = records(2)
    job = services.start_import(officer, xlsx(fill(wanted)), dry_run=False)
    real = people.load_approved

    def racing(batch, **kwargs):  # another officer saves the second person just before
        real(batch[:1], **kwargs)
        real(batch[1:], **kwargs)
        real(batch[1:], **kwargs)

    monkeypatch.setattr(people, "load_approved", racing)
    assert apply_import.call(job.pk) == State.FAILED
    assert "nothing was applied" in ImportJob.objects.get().errors[0]["message"]
    assert not Person.objects.exists()


def test_a_file_over_the_row_cap_is_refused_at_once_R_9_1(officer, settings):
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(ServiceError, match="at most 5 can be imported at once"):
        services.start_import(officer, xlsx(fill(records(3))))  # 3 people with their list rows: more than 5 rows
    assert not ImportJob.objects.exists()
    assert AuditEvent.objects.get(action="imports.upload").outcome == "refused"
    header = services.template_csv().decode("utf-8-sig")
    with pytest.raises(ServiceError, match="more than 5 rows"):
        services.start_import(officer, SimpleUploadedFile("x.csv", (header + "\n" + "a,b\n" * 6).encode()))


def test_a_sheet_declaring_a_million_rows_is_refused_fast_without_reading_them_R_9_1(officer):
    """What the sheet declares decides: a 1,000,000-row sheet is refused before any of its rows is read."""
    out = io.BytesIO()
    fill(records(1)).save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":  # the identity sheet
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:V1000001"', data)
            target.writestr(info, data)
    start = time.perf_counter()
    with pytest.raises(ServiceError, match="1.000.000 rows of data and at most 100.000"):
        services.start_import(officer, SimpleUploadedFile("trieu-dong.xlsx", forged.getvalue()))
    assert time.perf_counter() - start < 1


def test_a_sheet_that_does_not_declare_its_size_stops_at_the_cap_R_9_1(officer, settings):
    out = io.BytesIO()
    fill(records(3)).save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    stripped = io.BytesIO()
    with zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, re.sub(rb"<dimension [^>]*/>", b"", source.read(info)))
    settings.IMPORT_MAX_ROWS = 5
    job = services.start_import(officer, SimpleUploadedFile("khong-kich-thuoc.xlsx", stripped.getvalue()), dry_run=False)
    assert job.rows_total is None
    assert apply_import.call(job.pk) == State.INVALID
    job.refresh_from_db()
    assert job.errors[-1]["message"].startswith("File: it holds more than 5 rows") and job.rows_done == 6
    assert not Person.objects.exists()


def test_out_of_scope_unit_is_refused_R_9_1(officer):
    book = fill(records(3))
    cell(book, "identity", 3, "unit").value = PLANNING  # Sở KH&ĐT: not the officer's
    cell(book, "identity", 4, "unit").value = "000.99.99.H19"
    job = services.start_import(officer, xlsx(book), dry_run=False)
    assert apply_import.call(job.pk) == State.INVALID
    assert errors_of(ImportJob.objects.get()) == [
        ("identity", 3, "A – Identifier code of the unit [unit]", "you may not import records into this unit."),
        ("identity", 4, "A – Identifier code of the unit [unit]", "no unit in force has the identifier code “000.99.99.H19”.")]
    assert not Person.objects.exists()
    with pytest.raises(PermissionDenied):
        services.start_import(officer, xlsx(fill(records(1))), unit=unit(PLANNING))


def test_the_unit_chosen_on_upload_takes_rows_without_a_unit_code_R_9_1(officer):
    book = fill(records(2), unit=None)
    cell(book, "identity", 3, "unit").value = BUDGET_OFFICE
    job = services.start_import(officer, xlsx(book), dry_run=False, unit=unit("000.01.01.H19"))
    assert apply_import.call(job.pk) == State.APPLIED
    assert sorted(Person.objects.values_list("unit__versions__code", flat=True)) == ["000.01.01.H19", BUDGET_OFFICE]


def csv_file(rows: list[dict], unit_code: str = BUDGET_OFFICE) -> SimpleUploadedFile:
    columns = services.csv_columns()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for record in rows:
        writer.writerow([unit_code if c.key == "unit" else record[c.section].get(c.field, "") for c in columns])
    return SimpleUploadedFile("ho-so.csv", out.getvalue().encode("utf-8-sig"))


def test_csv_variant_holds_the_one_row_sections_R_9_1(officer):
    wanted = records(2)
    job = services.start_import(officer, csv_file(wanted), dry_run=False)
    assert job.format == "csv" and job.rows_total == 2
    assert apply_import.call(job.pk) == State.APPLIED
    record = people.approved_record(Person.objects.get(full_name="Trần Văn Nhập 1"))
    assert record["identity"] == wanted[1]["identity"] and record["salary"] == wanted[1]["salary"] and record["training"] == []
    # Errors name the CSV's row and column as in the template.
    wanted = records(1, start=10)
    wanted[0]["employment"]["category"] = "XX"
    job = services.start_import(officer, csv_file(wanted))
    assert validate_import.call(job.pk) == State.INVALID
    assert ("CSV", 2, "U – Category [employment.category]", "“XX” is not in the list.") in errors_of(ImportJob.objects.get(pk=job.pk))


def test_files_that_are_not_xlsx_or_csv_are_refused_R_9_1(officer):
    for name, content, message in [("scan.pdf", b"%PDF-1.4", "only XLSX workbooks and CSV files"),
                                   ("ho-so.xlsx", b"not a zip", "not an XLSX workbook"),
                                   ("ho-so.csv", b"H\xe1 t\xean", "saved as UTF-8"),
                                   ("ho-so.csv", b"", "empty")]:
        with pytest.raises(ServiceError, match=message):
            services.start_import(officer, SimpleUploadedFile(name, content))
    assert not ImportJob.objects.exists()


def test_user_without_people_import_is_refused_R_9_1(small_tree):
    viewer = UserFactory(username="lanhdao.stc", grant=("leader_viewer", "000.00.01.H19"))
    with pytest.raises(PermissionDenied):
        services.start_import(viewer, xlsx(fill(records(1))))
    assert AuditEvent.objects.get(action="imports.upload").outcome == "refused"
