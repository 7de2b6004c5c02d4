"""The import's pages and API (R-9.1): upload with a dry run, progress, the error report and its CSV, the apply, the template;
an import is its uploader's alone, and only holders of people.import reach any of it."""

import csv
import io

import openpyxl
import pytest

from accounts.services import create_token
from imports import services
from imports.models import ImportJob
from imports.tasks import apply_import, validate_import
from people.models import Person
from tests.conftest import UserFactory

from .conftest import cell, fill, records, xlsx

State = ImportJob.State


@pytest.fixture
def english_pages(client, settings):
    """The language picked by the user: pages and API answers in English, for the assertions."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def bearer(officer):
    _token, raw = create_token(officer, name="nhap", scopes=[], days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_upload_page_dry_run_progress_errors_and_their_csv_in_vietnamese_first_R_9_1(client, officer):
    client.force_login(officer)
    page = client.get("/imports/")
    assert page.status_code == 200 and b'name="dry_run"' in page.content and b"/imports/template/" in page.content
    book = fill(records(2))
    cell(book, "identity", 3, "gender").value = "9"
    response = client.post("/imports/", {"file": xlsx(book), "dry_run": "on"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/imports/{job.pk}/" and job.dry_run and job.language == "vi"
    waiting = client.get(response.url)
    assert b'<progress id="import-progress" max="100" value="0">' in waiting.content and b'hx-trigger="every 2s"' in waiting.content
    validate_import.call(job.pk)
    done = client.get(response.url, HTTP_HX_REQUEST="true")  # what htmx asks for every two seconds
    text = done.content.decode()
    assert "hx-trigger" not in text and 'id="import-errors"' in text and "import-apply" not in text
    assert "E – Giới tính [gender]" in text and "“9” không có trong danh mục." in text  # the worker wrote in the uploader's language
    report = client.get(f"/imports/{job.pk}/errors.csv")
    assert report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1] == ["identity", "3", "E – Giới tính [gender]", "“9” không có trong danh mục."]
    assert client.post(f"/imports/{job.pk}/apply/").status_code == 302
    assert ImportJob.objects.get().state == State.INVALID and not Person.objects.exists()  # an invalid dry run is not applied


def test_a_valid_dry_run_is_applied_from_its_page_R_9_1(client, officer, english_pages):
    client.force_login(officer)
    client.post("/imports/", {"file": xlsx(fill(records(2))), "dry_run": "on"})
    job = ImportJob.objects.get()
    validate_import.call(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-apply"' in page and "Every row is right." in page
    client.post(f"/imports/{job.pk}/apply/")
    assert ImportJob.objects.get().state == State.APPLYING and not Person.objects.exists()
    apply_import.call(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-applied"' in page and Person.objects.count() == 2


def test_upload_errors_are_shown_on_the_form_R_9_1(client, officer, settings, english_pages):
    client.force_login(officer)
    settings.IMPORT_MAX_ROWS = 2
    response = client.post("/imports/", {"file": xlsx(fill(records(2)))})
    assert response.status_code == 400 and "at most 2 can be imported at once" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_template_downloads_R_9_1(client, officer, english_pages):
    client.force_login(officer)
    workbook = client.get("/imports/template/")
    assert workbook["Content-Disposition"].startswith("attachment") and workbook["Content-Type"] == services.CONTENT_TYPES["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert "family" in book.sheetnames
    header = client.get("/imports/template/?format=csv").content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Identifier code of the unit [unit],Full name at birth [identity.full_name],")


def test_api_paths_upload_progress_errors_apply_and_template_R_9_1(client, officer, bearer, english_pages):
    created = client.post("/api/v1/imports", {"file": xlsx(fill(records(2))), "dry_run": "true"}, **bearer)
    assert created.status_code == 201, created.content
    job = created.json()
    assert job["state"] == "uploaded" and job["dry_run"] and job["rows_total"] > 2 and job["error_count"] == 0
    assert client.post(f"/api/v1/imports/{job['id']}/apply", **bearer).status_code == 400  # not checked yet
    validate_import.call(job["id"])
    found = client.get(f"/api/v1/imports/{job['id']}", **bearer).json()
    assert found["state"] == "valid" and found["progress"] == 100 and found["rows_done"] == found["rows_total"]
    assert client.get("/api/v1/imports", **bearer).json()["count"] == 1
    applying = client.post(f"/api/v1/imports/{job['id']}/apply", **bearer)
    assert applying.status_code == 202 and applying.json()["state"] == "applying"
    apply_import.call(job["id"])
    assert client.get(f"/api/v1/imports/{job['id']}", **bearer).json()["people_created"] == 2
    # A bad file: its errors by sheet, row and column, a page at a time.
    book = fill(records(2, start=5))
    cell(book, "identity", 2, "citizen_id").value = "12345"
    cell(book, "identity", 3, "ethnicity").value = "99"
    bad = client.post("/api/v1/imports", {"file": xlsx(book), "dry_run": "false"}, **bearer).json()
    apply_import.call(bad["id"])
    errors = client.get(f"/api/v1/imports/{bad['id']}/errors", {"limit": 1}, **bearer).json()
    assert errors["count"] >= 2 and len(errors["items"]) == 1
    first = errors["items"][0]
    assert (first["sheet"], first["row"], first["column"], first["message"]) == (
        "identity", 2, "J – Citizen ID number [citizen_id]", "a citizen ID has 12 digits.")
    assert client.get("/api/v1/imports/template", {"format": "csv"}, **bearer).content.startswith(b"\xef\xbb\xbf")
    assert client.get("/api/v1/imports/template", **bearer)["Content-Type"] == services.CONTENT_TYPES["xlsx"]
    refused = client.post("/api/v1/imports", {"file": xlsx(fill(records(1)), "ho-so.xls")}, **bearer)
    assert refused.status_code == 400 and refused.json()["field"] == "file"


def test_an_import_is_its_uploaders_alone_R_9_1(client, officer, bearer):
    job = services.start_import(officer, xlsx(fill(records(1))))
    colleague = UserFactory(username="tccb2.stc", grant=("hr_officer", "000.00.01.H19"))
    client.force_login(colleague)
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/errors.csv").status_code == 404
    assert client.post(f"/imports/{job.pk}/apply/").status_code == 404
    _token, raw = create_token(colleague, name="t", scopes=[], days=1)
    assert client.get(f"/api/v1/imports/{job.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 404
    assert client.get("/api/v1/imports", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["count"] == 0


def test_user_without_people_import_gets_403_R_9_1(client, small_tree):
    viewer = UserFactory(username="lanhdao.stc", grant=("leader_viewer", "000.00.01.H19"))
    employee = UserFactory(username="nv.stc", grant=("employee", "000.00.01.H19"))
    for user in (viewer, employee):
        client.force_login(user)
        assert client.get("/imports/").status_code == 403
        assert client.get("/imports/template/").status_code == 403
        assert client.post("/imports/", {"file": xlsx(fill(records(1)))}).status_code == 403
        _token, raw = create_token(user, name="t", scopes=[], days=1)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        assert client.get("/api/v1/imports", **auth).status_code == 403
        assert client.post("/api/v1/imports", {"file": xlsx(fill(records(1)))}, **auth).status_code == 403
        assert client.get("/api/v1/imports/template", **auth).status_code == 403
        assert "/imports/" not in client.get("/catalogs/").content.decode()  # no menu entry
    assert not ImportJob.objects.exists()
