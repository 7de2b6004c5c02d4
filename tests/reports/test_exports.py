"""Exports of the people list (XLSX, CSV, PDF) and the printed staff list: same filters as the page, only cleared columns,
scope, the worker's path, downloads by the requester only, audit (R-3.13, R-4.3, R-9.3)."""

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from common.errors import ServiceError
from reports import exports
from reports.columns import cleared_columns
from reports.models import ExportJob
from reports.staff_list import staff_list_pdf
from reports.tasks import write_export
from tests.conftest import UserFactory, open_version

pytestmark = pytest.mark.django_db

FINANCE, PLANNING = "000.00.01.H19", "000.00.02.H19"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Files go to a directory of the test's own."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def _file(job: ExportJob) -> bytes:
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    with default_storage.open(job.storage_name, "rb") as handle:
        return handle.read()


def _sheet(job: ExportJob):
    return openpyxl.load_workbook(io.BytesIO(_file(job))).active


def _pdf_text(content: bytes) -> str:
    """The words of the document, however the cells wrapped them."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_xlsx_holds_exactly_the_cleared_columns_and_the_filtered_rows_R_4_3(viewer, staff):
    job = exports.request_export(viewer, params={"category": "CC"}, format="xlsx")
    sheet = _sheet(job)
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [str(c.label) for c in cleared_columns(1)]
    assert "Dân tộc" not in rows[0] and "Đảng viên" not in rows[0]  # ethnicity and party membership need clearance 3
    assert {row[0] for row in rows[1:]} == {"Trần Thị Lan", "Nguyễn Văn Dũng", "Lò Thị Mai", "Phạm Văn Hùng"}
    dung = next(row for row in rows[1:] if row[0] == "Nguyễn Văn Dũng")
    assert dung[1] == datetime.datetime(1960, 2, 1)  # a real date, not text
    assert sheet["B3"].number_format == "dd/mm/yyyy" and sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert "Phòng Ngân sách" in dung and "Nam" in dung and "Công chức" in dung  # unit and codes by their names
    assert job.total == 4 and job.columns == [c.key for c in cleared_columns(1)]


def test_export_leaves_out_columns_above_clearance_R_4_3(viewer, admin_user, staff):
    with pytest.raises(ServiceError) as refused:
        exports.request_export(viewer, params={}, columns=["full_name", "ethnicity"], format="xlsx")
    assert refused.value.field == "columns" and "Dân tộc" in refused.value.message
    assert not ExportJob.objects.exists()
    asked = exports.request_export(viewer, params={}, columns=["full_name", "rank", "unit"], format="csv")
    assert asked.columns == ["full_name", "unit", "rank"]  # the list's order
    full = exports.request_export(admin_user, params={}, format="xlsx")
    assert {"ethnicity", "party_member"} <= set(full.columns)


def test_csv_has_a_bom_and_keeps_vietnamese_text_R_3_13(admin_user, staff):
    content = _file(exports.request_export(admin_user, params={"q": "nguyen van dung"}, columns=["full_name", "birth_date", "unit"],
                                           format="csv"))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [["Họ và tên", "Ngày sinh", "Đơn vị"], ["Nguyễn Văn Dũng", "01/02/1960", "Phòng Ngân sách"]]


def test_a_formula_typed_into_a_record_stays_text_in_csv(admin_user, staff):
    staff[0].__class__.objects.filter(pk=staff[0].pk).update(job_position="=HYPERLINK(\"http://x\")")
    content = _file(exports.request_export(admin_user, params={"q": "tran thi lan"}, columns=["job_position"], format="csv"))
    assert content.decode("utf-8-sig").splitlines()[1] == "\"'=HYPERLINK(\"\"http://x\"\")\""


def test_large_export_goes_to_the_worker_and_ends_downloadable_R_3_13(client, hr, staff, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(exports, "SYNC_ROWS", 2)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []
    original = exports._counted

    def counted(rows, job):
        for row in original(rows, job):
            seen.append(ExportJob.objects.get(pk=job.pk).done)
            yield row

    monkeypatch.setattr(exports, "_counted", counted)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.request_export(hr, params={}, format="xlsx")
    assert job.state == ExportJob.State.QUEUED and job.total == 4
    assert DBTaskResult.objects.get(task_path="reports.tasks.write_export").args_kwargs["args"] == [job.pk]
    assert write_export.call(job.pk) == ExportJob.State.DONE
    job.refresh_from_db()
    assert (job.done, job.progress, job.size) == (4, 100, len(_file(job)))
    assert seen == [0, 0, 2, 2]  # the progress written every PROGRESS_EVERY rows, for the page to show
    assert write_export.call(job.pk) == ExportJob.State.DONE  # run once only
    client.force_login(hr)
    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    assert b"".join(download.streaming_content) == _file(job)
    client.force_login(UserFactory(username="other.tccb", grant=("hr_officer", FINANCE)))
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export", args=[job.pk])).status_code == 404
    assert client.get(f"/api/v1/exports/{job.pk}/file").status_code == 404


def test_filter_above_clearance_is_refused_and_nothing_is_queued_R_4_3(viewer, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError) as refused:
        exports.request_export(viewer, params={"ethnicity": "04"}, format="xlsx")
    assert refused.value.field == "ethnicity"
    assert not ExportJob.objects.exists() and not DBTaskResult.objects.exists()
    assert AuditEvent.objects.get(action="reports.export").outcome == "refused"


def test_invalid_filter_is_refused_naming_its_field_R_3_13(admin_user, staff):
    with pytest.raises(ServiceError) as refused:
        exports.request_export(admin_user, params={"age_from": "abc"}, format="csv")
    assert refused.value.field == "age_from"
    with pytest.raises(ServiceError) as refused:
        exports.request_export(admin_user, params={}, format="docx")
    assert refused.value.field == "format"


def test_a_person_out_of_scope_never_appears_in_the_file_R_9_3(hr, staff):
    names = [row[0] for row in _sheet(exports.request_export(hr, params={}, format="xlsx")).iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["Trần Thị Lan", "Nguyễn Văn Dũng", "Lò Thị Mai", "Vũ Thị Hoa"])
    outside = exports.request_export(hr, params={"unit": str(open_version(PLANNING).unit_id)}, format="xlsx")
    assert outside.total == 0 and _sheet(outside).max_row == 1


def test_rights_are_judged_again_when_the_worker_writes_R_9_3(hr, staff, monkeypatch):
    monkeypatch.setattr(exports, "SYNC_ROWS", 0)
    job = exports.request_export(hr, params={}, format="csv")
    hr.grants.update(revoked_at=timezone.now())
    write_export.call(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and job.error and not job.storage_name
    assert not default_storage.exists(f"exports/{job.token}.csv")


def test_each_export_is_audited_with_its_row_count_R_9_3(client, admin_user, staff):
    job = exports.request_export(admin_user, params={"category": "CC"}, format="csv")
    events = list(AuditEvent.objects.filter(action="reports.export", object_id=str(job.pk)).order_by("pk"))
    assert [(e.details["stage"], e.details["rows"]) for e in events] == [("requested", 4), ("done", 4)]
    assert events[0].details["filters"] == {"category": ["CC"]} and events[0].details["format"] == "csv"
    assert events[0].details["columns"] == job.columns and events[1].details["sha256"] == job.sha256
    client.force_login(admin_user)
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="reports.export_download", object_id=str(job.pk)).count() == 1


def test_a_citizen_id_searched_for_never_reaches_the_audit_in_clear_R_4_2(admin_user, staff):
    job = exports.request_export(admin_user, params={"q": "075085000002"}, format="csv")
    assert job.total == 1
    assert "075085000002" not in json.dumps(list(AuditEvent.objects.filter(action="reports.export").values_list("details", flat=True)))


def test_pdf_above_the_limit_is_refused_suggesting_xlsx_R_3_13(admin_user, staff, monkeypatch):
    monkeypatch.setattr(exports, "PDF_ROWS", 3)
    with pytest.raises(ServiceError) as refused:
        exports.request_export(admin_user, params={}, format="pdf")
    assert refused.value.field == "format" and "XLSX" in refused.value.message and "5" in refused.value.message
    assert not ExportJob.objects.exists()
    assert exports.request_export(admin_user, params={"category": "CC"}, format="xlsx").state == ExportJob.State.DONE


def test_pdf_export_prints_the_rows_and_repeats_the_header_on_each_page_R_3_13(admin_user, staff, tmp_path):
    text = _pdf_text(_file(exports.request_export(admin_user, params={}, format="pdf")))
    assert "Nguyễn Văn Dũng" in text and "01/02/1960" in text and "Phòng Ngân sách" in text
    columns = cleared_columns(3, ["full_name", "birth_date", "unit"])
    path = tmp_path / "long.pdf"
    job = ExportJob(total=300)
    exports.write_pdf(str(path), columns, ([f"Người thứ {n}", datetime.date(1990, 1, 1), "Sở Tài chính"] for n in range(300)), job)
    pages = PdfReader(str(path)).pages
    assert len(pages) > 3 and all("Họ và tên" in page.extract_text() for page in pages)
    assert "Người thứ 299" in pages[-1].extract_text()


def test_a_failed_export_says_why_and_leaves_no_file_R_3_13(client, admin_user, staff, storage, monkeypatch):
    def broken(path, columns, rows, job):
        with open(path, "w") as handle:
            handle.write(next(iter(rows))[0])
        raise OSError("disk full")

    monkeypatch.setitem(exports.WRITERS, "csv", broken)
    job = exports.request_export(admin_user, params={}, format="csv")
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and job.error == gettext("The file could not be written. Try again later; if it fails again, "
                                                                        "report the problem.")
    assert not job.storage_name and not list(storage.glob("exports/*"))
    client.force_login(admin_user)
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404
    page = client.get(reverse("reports:export", args=[job.pk])).content.decode()
    assert job.error in page and "Traceback" not in page and "disk full" not in page


def test_old_files_expire_after_the_keeping_days(admin_user, staff, settings):
    settings.EXPORT_KEEP_DAYS = 7
    job = exports.request_export(admin_user, params={}, format="csv")
    name = ExportJob.objects.get(pk=job.pk).storage_name
    assert exports.expire_exports(timezone.now() + datetime.timedelta(days=6)) == 0
    assert exports.expire_exports(timezone.now() + datetime.timedelta(days=8)) == 1
    job.refresh_from_db()
    assert job.state == ExportJob.State.EXPIRED and not default_storage.exists(name) and not exports.downloadable(job)


def test_column_headers_follow_the_language_of_the_request_R_3_13(admin_user, staff, monkeypatch):
    monkeypatch.setattr(exports, "SYNC_ROWS", 0)
    with translation.override("en"):
        job = exports.request_export(admin_user, params={}, columns=["full_name", "gender"], format="csv")
    write_export.call(job.pk)  # the worker has no request: the job remembers the language
    assert _file(job).decode("utf-8-sig").splitlines()[0] == "Full name,Sex"


def test_people_list_buttons_export_what_the_page_shows_R_3_13(client, viewer, staff):
    client.force_login(viewer)
    page = client.get(reverse("people:list"), {"category": "CC", "gender": "2"})
    assert page.context["page"].paginator.count == 2
    html = page.content.decode()
    assert 'action="/reports/exports/new/"' in html and 'value="rank"' in html and 'value="ethnicity"' not in html
    posted = client.post(reverse("reports:export_create"), {"query": "category=CC&gender=2&page=1", "format": "xlsx", "choose": "1",
                                                           "columns": ["full_name", "gender"]})
    job = ExportJob.objects.get()
    assert posted.status_code == 302 and posted.url == reverse("reports:export", args=[job.pk])
    assert job.query == {"category": ["CC"], "gender": ["2"]}
    assert list(_sheet(job).iter_rows(min_row=2, values_only=True)) == [("Lò Thị Mai", "Nữ"), ("Trần Thị Lan", "Nữ")]
    detail = client.get(posted.url).content.decode()
    assert reverse("reports:export_download", args=[job.pk]) in detail
    listing = client.get(reverse("reports:exports")).content.decode()
    assert job.file_name in listing and "Loại đối tượng: Công chức" in listing and "hx-trigger" not in listing


def test_export_page_refuses_with_400_naming_the_field_R_4_3(client, viewer, staff):
    client.force_login(viewer)
    refused = client.post(reverse("reports:export_create"), {"query": "party_member=true", "format": "xlsx"})
    assert refused.status_code == 400 and "không cho phép tìm kiếm theo trường này" in refused.content.decode()
    assert not ExportJob.objects.exists()
    assert client.get(reverse("people:list"), {"party_member": "true"}).context["error"]  # the page reads the filter the same way


def test_progress_is_polled_while_the_worker_writes_R_3_13(client, hr, staff, monkeypatch):
    monkeypatch.setattr(exports, "SYNC_ROWS", 0)
    job = exports.request_export(hr, params={}, format="xlsx")
    client.force_login(hr)
    page = client.get(reverse("reports:export", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page
    partial = client.get(reverse("reports:export", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<section id="export-progress"') and "<html" not in partial
    assert 'hx-trigger="every 2s"' in client.get(reverse("reports:exports")).content.decode()
    write_export.call(job.pk)
    done = client.get(reverse("reports:export", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "export-download" in done


def test_api_exports_belong_to_their_requester_R_3_13(client, hr, staff):
    client.force_login(hr)
    created = client.post("/api/v1/exports", json.dumps({"filters": {"category": "VC"}, "columns": ["full_name", "professional_title"],
                                                         "format": "xlsx"}), content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "done" and body["total"] == 1 and body["downloadable"] and body["filters"] == {"category": ["VC"]}
    assert client.get("/api/v1/exports").json()["items"][0]["id"] == body["id"]
    assert client.get(f"/api/v1/exports/{body['id']}").json()["sha256"] == body["sha256"]
    file = client.get(f"/api/v1/exports/{body['id']}/file")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(file.streaming_content))).active
    assert list(sheet.iter_rows(values_only=True))[1][0] == "Vũ Thị Hoa"
    refused = client.post("/api/v1/exports", json.dumps({"filters": {"party_member": True}, "format": "csv"}), content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "party_member"
    client.force_login(UserFactory(username="other.tccb", grant=("hr_officer", FINANCE)))
    assert client.get(f"/api/v1/exports/{body['id']}").status_code == 404
    assert client.get("/api/v1/exports").json()["count"] == 0


def test_staff_list_names_the_unit_and_groups_people_by_category_R_3_13(admin_user, staff):
    unit = open_version(FINANCE).unit_id
    rendered = staff_list_pdf(admin_user, unit)
    text = _pdf_text(rendered.pdf)
    assert "DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC" in text and "Sở Tài chính" in text and "UBND TỈNH" in text
    assert text.index("I. Công chức (3)") < text.index("Nguyễn Văn Dũng") < text.index("II. Viên chức (1)") < text.index("Vũ Thị Hoa")
    assert "Phạm Văn Hùng" not in text  # Sở KH&ĐT is not under Sở Tài chính
    assert "Người lập biểu" in text and "Thủ trưởng đơn vị" in text and "01/02/1960" in text
    assert rendered.unit_id == unit and "Sở Tài chính" in rendered.title
    event = AuditEvent.objects.get(action="reports.export", unit_id=unit)
    assert event.details["source"] == "staff_list" and event.details["rows"] == 4


def test_staff_list_prints_only_the_columns_the_reader_is_cleared_for_R_4_3(staff):
    role = Role.objects.create(code="public-reader", name="Đọc công khai", clearance=0, actions=["people.view"])
    reader = UserFactory(username="doc.congkhai")
    reader.grants.create(role=role, unit=open_version(FINANCE).unit, valid_from=datetime.date(2025, 1, 1))
    text = _pdf_text(staff_list_pdf(reader, open_version(FINANCE).unit_id).pdf)
    assert "Nguyễn Văn Dũng" in text and "Ngày sinh" not in text and "01/02/1960" not in text and "Trình độ" not in text


def test_staff_list_outside_scope_is_refused_R_9_3(client, hr, staff):
    with pytest.raises(PermissionDenied):
        staff_list_pdf(hr, open_version(PLANNING).unit_id)
    client.force_login(hr)
    assert client.get(reverse("reports:staff_list", args=[open_version(PLANNING).unit_id])).status_code == 403
    page = client.get(reverse("reports:staff_list", args=[open_version(FINANCE).unit_id]))
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf" and page.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/units/{open_version(FINANCE).unit_id}/staff-list.pdf").content.startswith(b"%PDF")
    assert 'id="staff-list"' in client.get(reverse("orgs:unit", args=[open_version(FINANCE).unit_id])).content.decode()
