"""The record's pages and API: what the person, the HR officer and the approver see and do."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import services as approvals
from people import services
from people.models import ChangeSet, Document
from tests.conftest import KEY_PASSWORD
from tests.people.conftest import PDF, RECORD, sample_record, unit


@pytest.fixture
def as_person(client, person):
    client.force_login(person.account)
    return client


def test_person_sees_own_record_versions_and_pending_changes_R_9_4(as_person, person):
    services.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0987654321"}})
    page = as_person.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "Nguyễn Văn Dũng" in page and "075085001234" in page and "Nguyễn Văn An" in page
    assert reverse("people:change_set", args=[person.change_sets.get().pk]) in page
    assert as_person.get(reverse("people:me")).url == reverse("people:detail", args=[person.pk])
    data = as_person.get("/api/v1/people/me").json()
    assert data["version"] == 1 and data["record"]["identity"]["citizen_id"] == "075085001234"


def test_the_form_starts_from_what_the_database_holds_R_4_5(as_person, person):
    page = as_person.get(reverse("people:edit", args=[person.pk, "contacts"])).content.decode()
    assert 'value="0912345678"' in page and "12 Võ Thị Sáu" in page
    response = as_person.post(reverse("people:edit", args=[person.pk, "contacts"]), {f"contacts-{k}": v for k, v in RECORD["contacts"].items()})
    assert response.status_code == 302
    assert services.change_set_sections(person.change_sets.get()) == {}  # nothing changed, nothing to approve


def test_a_repeating_section_is_edited_as_rows(as_person, person):
    url = reverse("people:edit", args=[person.pk, "work_history"])
    form = {"work_history-TOTAL_FORMS": "2", "work_history-INITIAL_FORMS": "1",
            "work_history-0-from_date": "2008-09-01", "work_history-0-to_date": "2019-12-31",
            "work_history-0-description": "Chuyên viên Phòng Ngân sách",
            "work_history-1-from_date": "2020-01-01", "work_history-1-description": "Phó Trưởng phòng Ngân sách"}
    assert as_person.post(url, form).status_code == 302
    rows = services.working_record(person)["work_history"]
    assert [r["description"] for r in rows] == ["Chuyên viên Phòng Ngân sách", "Phó Trưởng phòng Ngân sách"]


def test_bad_input_on_a_page_names_the_field_in_vietnamese_and_changes_nothing_R_13_5(as_person, person):
    url = reverse("people:edit", args=[person.pk, "identity"])
    data = {f"identity-{k}": v for k, v in RECORD["identity"].items()}
    response = as_person.post(url, {**data, "identity-birth_date": "2999-01-01"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    assert "Ngày sinh" in response.content.decode() or "Date of birth" in response.content.decode()
    assert not ChangeSet.objects.exists()


def test_upload_submit_and_approve_through_the_pages_R_6_5(client, as_person, person, head, head_key):
    as_person.post(reverse("people:edit", args=[person.pk, "identity"]),
                   {**{f"identity-{k}": v for k, v in RECORD["identity"].items()}, "identity-home_town": "Xã Phú Hữu, Đồng Nai"})
    change_set = person.change_sets.get()
    fake = as_person.post(reverse("people:upload", args=[change_set.pk]),
                          {"section": "identity", "file": SimpleUploadedFile("cccd.pdf", b"GIF89a not a pdf")})
    assert fake.status_code == 400 and not Document.objects.exists()
    as_person.post(reverse("people:upload", args=[change_set.pk]), {"section": "identity", "file": SimpleUploadedFile("cccd.pdf", PDF)})
    as_person.post(reverse("people:submit", args=[change_set.pk]))
    change_set.refresh_from_db()
    assert change_set.state == ChangeSet.State.SUBMITTED
    document = as_person.get(reverse("people:document", args=[change_set.attachments.get().document.sha256]))
    assert document.content == PDF and document["Content-Type"] == "application/pdf"
    client.force_login(head)
    round_page = client.get(reverse("approvals:round")).content.decode()
    assert str(person.full_name) in round_page and "Xã Phú Hữu, Đồng Nai" in round_page  # the diff beside the proof
    token = approvals.Item(person, change_set).token
    client.post(reverse("approvals:sign"), {"item": token, "p12": SimpleUploadedFile("key.p12", head_key), "password": KEY_PASSWORD})
    person.refresh_from_db()
    assert person.version == 2
    diff = client.get(reverse("people:diff", args=[person.pk]) + "?from=1&to=2").content.decode()
    assert "Xã Long Thành, Đồng Nai" in diff and "Xã Phú Hữu, Đồng Nai" in diff


def test_an_oversized_upload_is_refused_before_it_is_read_R_6_4(as_person, person):
    change_set = services.edit_sections(person.account, person, {"identity": {**RECORD["identity"], "home_town": "Xã Phú Hữu"}})
    # The body announces 200 MB: refused on the announcement, before anything reads it.
    for url in (reverse("people:upload", args=[change_set.pk]), f"/api/v1/change-sets/{change_set.pk}/documents"):
        response = as_person.generic("POST", url, b"--x--", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(200 * 2**20))
        assert response.status_code == 413 and "MB" in response.content.decode()
    assert not Document.objects.exists()


def test_hr_officer_searches_the_unit_and_sees_completeness_R_13_5(client, hr, person):
    client.force_login(hr)
    page = client.get(reverse("people:list") + "?q=nguyen+van+dung&order=completeness").content.decode()
    assert "Nguyễn Văn Dũng" in page and "100%" in page
    assert "Nguyễn Văn Dũng" not in client.get(reverse("people:list") + "?q=tran").content.decode()


def test_print_the_resume_as_pdf_R_6_1a(client, hr, person):
    client.force_login(hr)
    response = client.get(reverse("people:print", args=[person.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_hr_opens_a_record_on_the_page(client, hr, small_tree):
    client.force_login(hr)
    data = {"unit": unit("000.02.01.H19").pk, "employment-category": "CC",
            **{f"identity-{k}": v for k, v in RECORD["identity"].items()}}
    response = client.post(reverse("people:new"), data)
    assert response.status_code == 302
    person = services.Person.objects.get()
    assert person.full_name == "Nguyễn Văn Dũng" and person.version == 0 and person.change_sets.get().state == "draft"
    again = client.post(reverse("people:new"), data)
    assert again.status_code == 400 and services.Person.objects.count() == 1


def test_the_api_path_create_edit_attach_submit_and_sign(client, hr, head, head_key, small_tree):
    client.force_login(hr)
    record = sample_record()
    created = client.post("/api/v1/people", json.dumps({"unit": "000.02.01.H19", "sections": {
        "identity": record["identity"], "employment": record["employment"]}}), content_type="application/json")
    assert created.status_code == 201, created.content
    person_id, change_set_id = created.json()["person"]["id"], created.json()["change_set"]["id"]
    rest = {name: record[name] for name in ("contacts", "salary", "education", "work_history", "family", "training")}
    edited = client.put(f"/api/v1/people/{person_id}/changes", json.dumps({"sections": rest}), content_type="application/json")
    assert edited.status_code == 200 and {c["section"] for c in edited.json()["changes"]} >= {"salary", "family"}
    refused = client.put(f"/api/v1/people/{person_id}/changes", json.dumps({"sections": {"salary": {"salary_step": "x"}}}),
                         content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "salary.salary_step"
    for name in ("identity", "employment", "salary", "education", "work_history", "family", "training"):
        attached = client.post(f"/api/v1/change-sets/{change_set_id}/documents",
                               {"section": name, "file": SimpleUploadedFile("p.pdf", PDF + name.encode())})
        assert attached.status_code == 201, attached.content
    assert client.post(f"/api/v1/change-sets/{change_set_id}/submit").json()["state"] == "submitted"
    client.force_login(head)
    token = next(item["token"] for item in client.get("/api/v1/approvals/items").json()["items"] if item["change_set_id"] == change_set_id)
    signed = client.post("/api/v1/approvals/sign", {"items": [token], "p12": SimpleUploadedFile("key.p12", head_key), "password": KEY_PASSWORD})
    assert signed.status_code == 200, signed.content
    assert signed.json()[0]["version"] == 1
    assert client.get(f"/api/v1/people/{person_id}/quality").json()["problems"] == []
    found = client.get("/api/v1/people?q=nguyen van dung&unit=000.00.01.H19").json()
    assert [p["id"] for p in found["items"]] == [person_id]


def test_the_api_hides_fields_above_the_callers_clearance_R_4_3(client, viewer, person):
    client.force_login(viewer)
    data = client.get(f"/api/v1/people/{person.pk}").json()["record"]
    assert "citizen_id" not in data["identity"] and "family" not in data
    assert client.get("/api/v1/people?ethnicity=01").status_code == 400


def test_hr_officer_follows_the_changes_in_progress_R_13_5(client, hr, person):
    services.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0987654321"}})
    client.force_login(hr)
    page = client.get(reverse("people:open_changes") + "?state=draft").content.decode()
    assert "Nguyễn Văn Dũng" in page
    assert "Nguyễn Văn Dũng" not in client.get(reverse("people:open_changes") + "?state=submitted").content.decode()
