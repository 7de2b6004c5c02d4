"""R-9.4 (Quy chế Art. 9.4): each person sees and uses their own data: the whole record to download as JSON or PDF, and the
history of who accessed it, confidential accesses (inspections) left out."""

import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role, RoleGrant
from audit.models import AuditEvent
from audit.services import record_many
from inspections import services as inspections
from people import services
from people.models import Person
from tests.conftest import UserFactory, open_version
from tests.people.conftest import RECORD, sample_record, unit

pytestmark = pytest.mark.django_db

NO_RECORD = "Chưa có hồ sơ nào được liên kết với tài khoản của bạn"


@pytest.fixture
def as_person(client, person):
    client.force_login(person.account)
    return client


@pytest.fixture
def inspector(small_tree):
    return UserFactory(username="thanhtra", last_name="Phạm Thị", first_name="Thanh", grant=("inspector", "000.00.00.H19"))


def read_detail(client, user, person):
    """The user opens the person's record page: a read of its sensitive fields, audited."""
    client.force_login(user)
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 200


def history_page(client, person, page=1) -> str:
    """The history table of the person's page (the header names the logged-in user too)."""
    client.force_login(person.account)
    response = client.get(reverse("people:me_access") + f"?page={page}")
    assert response.status_code == 200
    return response.content.decode().split('<table id="access-history">')[1].split("</table>")[0]


def test_person_downloads_whole_record_as_json_R_9_4(as_person, person):
    response = as_person.get(reverse("people:me_json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Nguyễn Văn Dũng".encode() in response.content  # UTF-8, not \u escapes
    assert b'\n  "person_id": ' in response.content
    data = json.loads(response.content.decode("utf-8"))
    assert data["sections"] == services.approved_record(person)  # every section, the sensitive ones too: it is their own
    assert data["sections"]["identity"]["citizen_id"] == "075085001234" and data["sections"]["family"] == RECORD["family"]
    assert data["person_id"] == person.pk and data["version"] == 1 and data["valid_from"] == "2025-01-01"
    assert datetime.datetime.fromisoformat(data["approved_at"]) == person.versions.get().approved_at
    assert data["unit"] == {"name": "Phòng Ngân sách", "code": "000.02.01.H19"}
    assert abs(datetime.datetime.fromisoformat(data["exported_at"]) - timezone.now()) < datetime.timedelta(minutes=1)
    assert data["exported_at"].endswith("+07:00")
    assert data["pending"] is None


def test_pending_changes_are_apart_and_marked_as_not_approved_R_9_4(as_person, person):
    services.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0987654321"}})
    data = json.loads(as_person.get(reverse("people:me_json")).content)
    assert data["sections"]["contacts"]["phone"] == "0912345678"
    assert data["pending"]["approved"] is False and data["pending"]["state"] == "draft" and data["pending"]["base_version"] == 1
    assert data["pending"]["sections"] == {"contacts": {**RECORD["contacts"], "phone": "0987654321"}}


def test_person_downloads_whole_record_as_pdf_R_9_4(as_person, person):
    response = as_person.get(reverse("people:me_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["Content-Disposition"].startswith("attachment;")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    text = "\n".join(pages)
    assert len(pages) > 1
    assert "075085001234" in text and "Nguyễn Văn An" in text and "19/05/2012" in text  # sensitive sections: their own
    assert "Phiên bản 1" in text


def test_downloads_are_audited_R_9_4(as_person, person):
    as_person.get(reverse("people:me_json"))
    as_person.get(reverse("people:me_pdf"))
    as_person.get("/api/v1/me/record")
    events = AuditEvent.objects.filter(action="people.self_export").order_by("pk")
    assert [e.details["format"] for e in events] == ["json", "pdf", "json"]
    assert {(e.actor_id, e.object_type, e.object_id, e.unit_id) for e in events} == {
        (person.account_id, "people.person", str(person.pk), person.unit_id)}


def test_access_history_lists_hr_read_but_hides_inspector_R_9_4(client, person, hr, inspector):
    hr.last_name, hr.first_name = "Trần Thị", "Hoa"
    hr.save()
    read_detail(client, hr, person)
    read_detail(client, inspector, person)
    assert AuditEvent.objects.filter(action="people.read_sensitive", actor=inspector).exists()  # audited, only not shown
    page = history_page(client, person)
    assert "Trần Thị Hoa" in page
    assert "Cán bộ phụ trách tổ chức, nhân sự – Sở Tài chính" in page
    assert "Phạm Thị Thanh" not in page


def test_inspector_read_shows_when_the_setting_is_emptied_R_9_4(client, person, inspector, settings):
    read_detail(client, inspector, person)
    settings.ACCESS_HISTORY_HIDDEN_ROLES = []
    page = history_page(client, person)
    assert "Phạm Thị Thanh" in page and "Thanh tra, kiểm tra – UBND tỉnh" in page


def test_inspection_reads_are_hidden_by_action_unless_the_setting_is_emptied_R_9_4(client, person, admin_user, hr, settings):
    inspection = inspections.record_inspection(admin_user, unit_id=person.unit_id, person_id=person.pk, area="updating",
                                               inspected_on=timezone.localdate(), findings="Chưa cập nhật hồ sơ", measures=["Cập nhật"])
    inspections.read(hr, inspections.get_visible(hr, inspection.pk))
    assert hr.get_full_name() not in history_page(client, person)
    settings.ACCESS_HISTORY_HIDDEN_ACTIONS = []
    client.force_login(person.account)
    items = client.get("/api/v1/me/access-history").json()["items"]
    assert [(item["action"], item["actor_name"]) for item in items] == [("inspections.read", hr.get_full_name())]


def test_the_role_held_at_the_time_decides_R_9_4(client, person, hr):
    read_detail(client, hr, person)
    later = RoleGrant.objects.create(user=hr, role=Role.objects.get(code="inspector"), unit=open_version("000.00.00.H19").unit,
                                     valid_from=timezone.localdate() + datetime.timedelta(days=1))
    assert hr.get_full_name() in history_page(client, person)  # an HR officer's read stays shown when they later inspect
    later.valid_from = timezone.localdate()
    later.save()
    assert hr.get_full_name() not in history_page(client, person)


def test_another_persons_accesses_never_show_R_9_4(client, person, small_tree):
    services.load_approved([(unit("000.02.01.H19").pk, sample_record(identity={**RECORD["identity"], "citizen_id": "075085007777"}))])
    other = Person.objects.exclude(pk=person.pk).get()
    reader = UserFactory(username="tccb2", last_name="Lê Văn", first_name="Bình", grant=("hr_officer", "000.00.01.H19"))
    read_detail(client, reader, other)
    client.get(reverse("people:print", args=[other.pk]))
    assert set(AuditEvent.objects.filter(actor=reader, object_id=str(other.pk)).values_list("action", flat=True)) == {
        "people.read_sensitive", "people.print"}
    assert "Lê Văn Bình" not in history_page(client, person)
    assert client.get("/api/v1/me/access-history").json() == {"items": [], "count": 0}


def test_own_accesses_are_shown_as_yours_R_9_4(as_person, person):
    as_person.get(reverse("people:me_pdf"))
    item = as_person.get("/api/v1/me/access-history").json()["items"][0]
    assert item["by_you"] is True and item["action"] == "people.self_export" and item["label"].endswith("(PDF)") and item["roles"] == []


def test_a_user_without_a_record_gets_a_clear_404_R_9_4(client, hr):
    client.force_login(hr)
    for name in ("people:me_json", "people:me_pdf", "people:me_access"):
        response = client.get(reverse(name))
        assert response.status_code == 404 and NO_RECORD in response.content.decode(), name
    for path in ("/api/v1/me/record", "/api/v1/me/record.pdf", "/api/v1/me/access-history"):
        response = client.get(path)
        assert response.status_code == 404 and NO_RECORD in response.json()["detail"], path
    assert not AuditEvent.objects.filter(action="people.self_export").exists()


def test_access_history_pages_newest_first_in_local_time_R_9_4(client, person, hr):
    count = 51
    record_many(hr, "people.read_sensitive", Person, [(person.pk, person.unit_id, {"version": 1})] * count)
    first = AuditEvent.objects.order_by("pk").first()
    AuditEvent.objects.filter(pk=first.pk).update(at=datetime.datetime(2025, 7, 1, 1, 30, tzinfo=datetime.UTC))
    page_one, page_two = history_page(client, person), history_page(client, person, 2)
    assert page_one.count(hr.get_full_name()) == 50 and "01/07/2025 08:30" not in page_one
    assert page_two.count(hr.get_full_name()) == 1 and "01/07/2025 08:30" in page_two  # the oldest, in Asia/Ho_Chi_Minh
    data = client.get("/api/v1/me/access-history?limit=2").json()
    assert data["count"] == count and len(data["items"]) == 2
    assert data["items"][0]["at"] >= data["items"][1]["at"]


def test_the_api_gives_the_whole_record_as_json_and_pdf_R_9_4(as_person, person):
    response = as_person.get("/api/v1/me/record")
    assert response.status_code == 200 and "Nguyễn Văn Dũng".encode() in response.content
    data = response.json()
    assert data["sections"] == services.approved_record(person) and data["version"] == 1 and data["pending"] is None
    pdf = as_person.get("/api/v1/me/record.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_closed_account_downloads_nothing_R_9_4(as_person, person):
    person.account.grants.update(revoked_at=timezone.now())
    assert as_person.get(reverse("people:me_json")).status_code == 403
    assert as_person.get("/api/v1/me/access-history").status_code == 403
