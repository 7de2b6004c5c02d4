"""Arrivals from outside the unit's authority (R-8.3, R-8.4): the written request within 10 working days of the handover,
Sở Nội vụ's decision, the record brought in, then the account, the person's check and the approval, each with its deadline."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.services import create_personal_account
from approvals import services as approvals
from approvals.signing import SoftwareSigner
from audit.models import AuditEvent
from common.errors import ServiceError
from compliance.services import month_end
from compliance.workdays import add_working_days
from movements import arrivals
from movements.models import Arrival, Transfer
from people import services as people
from people.form import SECTIONS
from people.models import ChangeSet, Person
from tests.conftest import KEY_PASSWORD, UserFactory
from tests.people.conftest import PDF, RECORD, sample_record, unit

TODAY = timezone.localdate()
BUDGET, INVESTMENT = "000.02.01.H19", "000.02.02.H19"  # Phòng Ngân sách (Sở Tài chính), Phòng Đầu tư (Sở KH&ĐT)
NEWCOMER_ID = "079190012345"  # a woman born in 1990, registered in Hồ Chí Minh City (079)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def newcomer_record(**identity) -> dict:
    return sample_record(identity={**RECORD["identity"], "full_name": "Lê Thị Hoa", "gender": "2", "birth_date": "1990-06-01",
                                   "citizen_id": NEWCOMER_ID, **identity})


def record_file(record: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile("ho-so.json", json.dumps({"record": record}).encode(), content_type="application/json")


def ask(actor, **changes) -> Arrival:
    values = {"to_unit_id": unit(BUDGET).pk, "origin": "province", "origin_agency": "Sở Tài chính TP. Hồ Chí Minh", "full_name": "Lê Thị Hoa",
              "birth_date": datetime.date(1990, 6, 1), "citizen_id": NEWCOMER_ID, "handover_on": TODAY, "request_number": "15/STC-TCCB",
              "request_date": TODAY, "upload": SimpleUploadedFile("de-nghi.pdf", PDF)}
    return arrivals.request_arrival(actor, **{**values, **changes})


def test_the_request_is_due_ten_working_days_after_the_handover_R_8_3(hr):
    handed = TODAY - datetime.timedelta(days=3)
    arrival = ask(hr, handover_on=handed)
    assert arrival.state == Arrival.State.REQUESTED and arrival.due_on == add_working_days(handed, 10)
    assert arrivals.citizen_id(arrival) == NEWCOMER_ID and NEWCOMER_ID.encode() not in bytes(arrival.sealed)
    first = arrivals.steps(arrival)[0]
    assert (first.rule, first.done, first.state(TODAY)) == ("R-8.3a", TODAY, "done")


def test_a_late_request_is_accepted_and_shown_late_R_8_3(hr):
    arrival = ask(hr, handover_on=TODAY - datetime.timedelta(days=40))
    first = arrivals.steps(arrival)[0]
    assert first.state(TODAY) == "late" and "working days late" in arrivals.describe_due(first, TODAY)
    assert AuditEvent.objects.get(action="movements.arrival", outcome="ok").details["late_working_days"] > 10


def test_sonoivu_brings_the_record_file_in_as_a_draft_the_person_checks_R_8_3(hr, admin_user, ca, head, head_key):
    arrival = arrivals.decide(admin_user, ask(hr), approve=True)
    assert arrival.state == Arrival.State.APPROVED  # no record in the province: the file is awaited
    arrival = arrivals.bring_in(admin_user, arrival, upload=record_file(newcomer_record()))
    person = arrival.person
    assert arrival.state == Arrival.State.BROUGHT_IN and person.unit_id == unit(BUDGET).pk and person.version == 0
    draft = people.open_change_set(person)
    assert people.change_set_sections(draft)["identity"]["full_name"] == "Lê Thị Hoa"
    account_step, check_step, approval_step = arrivals.steps(arrival)[3:]
    assert (account_step.due, account_step.done) == (add_working_days(TODAY, 5), None)
    assert check_step.due is None and approval_step.due is None
    # (b) the unit creates the account, (c) the person checks and submits with the proofs, (d) the head approves
    account, _password = create_personal_account(hr, unit=unit(BUDGET), username="hoalt", last_name="Lê Thị", first_name="Hoa",
                                                 citizen_id=NEWCOMER_ID)
    people.link_account(person, account)
    for section in SECTIONS:
        if section.needs_proof and section.name in people.change_set_sections(draft):
            people.attach_document(account, draft, section_name=section.name, upload=SimpleUploadedFile("bang.pdf", PDF))
    people.submit(account, draft)
    arrival.refresh_from_db()
    account_step, check_step, approval_step = arrivals.steps(arrival)[3:]
    assert account_step.done == TODAY and check_step.done == TODAY and check_step.due == add_working_days(TODAY, 5)
    assert approval_step.due == month_end(TODAY) and approval_step.done is None
    submitted = ChangeSet.objects.get(pk=draft.pk)
    token = approvals.change_token(submitted.pk, submitted.base_version, submitted.submitted_at)
    approvals.approve(head, [token], SoftwareSigner(head_key, KEY_PASSWORD.encode()))
    assert arrivals.steps(arrival)[5].done == TODAY


def test_an_arrival_from_outside_the_authority_moves_the_province_record_R_8_4(person, admin_user):
    investment_hr = UserFactory(username="tccb.khdt", grant=("hr_officer", "000.00.02.H19"))
    arrival = ask(investment_hr, to_unit_id=unit(INVESTMENT).pk, origin="outside_authority", origin_agency="Sở Tài chính",
                  full_name=person.full_name, birth_date=person.birth_date, citizen_id=RECORD["identity"]["citizen_id"])
    arrival = arrivals.decide(admin_user, arrival, approve=True)  # the province holds the record: brought in at once
    person.refresh_from_db()
    assert arrival.state == Arrival.State.BROUGHT_IN and arrival.person == person and person.unit_id == unit(INVESTMENT).pk
    moved = Transfer.objects.get(person=person)
    assert moved.decision_number == "15/STC-TCCB" and moved.document == arrival.document and moved.state == Transfer.State.APPLIED
    assert set(person.account.grants.filter(revoked_at__isnull=True).values_list("unit_id", flat=True)) == {unit(INVESTMENT).pk}
    assert arrivals.steps(arrival)[3].done == TODAY  # the person already has an account


def test_a_person_within_ones_own_authority_is_a_transfer_not_an_arrival_R_8_1(person, hr):
    with pytest.raises(ServiceError) as refused:
        ask(hr, to_unit_id=unit("000.01.01.H19").pk, citizen_id=RECORD["identity"]["citizen_id"], birth_date=person.birth_date)
    assert refused.value.field == "citizen_id" and "record a transfer" in refused.value.message


@pytest.mark.parametrize(("changes", "field"), [
    ({"citizen_id": "07919001234"}, "citizen_id"),
    ({"citizen_id": "079185012345"}, "citizen_id"),  # born in 1985 by the number, 1990 by the request
    ({"handover_on": TODAY + datetime.timedelta(days=1)}, "handover_on"),
    ({"request_date": TODAY + datetime.timedelta(days=1)}, "request_date"),
    ({"origin": "moon"}, "origin"),
    ({"origin_agency": " "}, "origin_agency"),
    ({"birth_date": datetime.date(1900, 1, 1)}, "birth_date"),
    ({"upload": SimpleUploadedFile("de-nghi.pdf", b"not a scan")}, "file"),
])
def test_bad_requests_are_refused_and_change_nothing_R_8_3(hr, changes, field):
    with pytest.raises(ServiceError) as refused:
        ask(hr, **changes)
    assert refused.value.field == field and not Arrival.objects.exists()
    assert AuditEvent.objects.filter(action="movements.arrival", outcome="refused").exists()


def test_a_second_open_request_and_a_unit_outside_scope_are_refused_R_8_3(hr):
    ask(hr)
    with pytest.raises(ServiceError) as twice:
        ask(hr)
    assert "already open" in twice.value.message and Arrival.objects.count() == 1
    with pytest.raises(PermissionDenied):
        ask(hr, to_unit_id=unit(INVESTMENT).pk, citizen_id="079190012346")
    assert Arrival.objects.count() == 1


def test_only_sonoivu_decides_and_a_refusal_needs_its_reason_R_8_3(hr, admin_user):
    arrival = ask(hr)
    with pytest.raises(PermissionDenied):
        arrivals.decide(hr, arrival, approve=True)
    with pytest.raises(ServiceError) as no_reason:
        arrivals.decide(admin_user, arrival, approve=False)
    assert no_reason.value.field == "reason" and Arrival.objects.get().state == Arrival.State.REQUESTED
    arrivals.decide(admin_user, arrival, approve=False, reason="Chưa có quyết định tiếp nhận.")
    with pytest.raises(ServiceError):
        arrivals.decide(admin_user, arrival, approve=True)
    assert Arrival.objects.get().state == Arrival.State.REFUSED


@pytest.mark.parametrize(("upload", "field_or_text"), [
    (record_file(newcomer_record(citizen_id="079190099999")), "another person"),
    (SimpleUploadedFile("ho-so.json", b"{not json"), "not a JSON record"),
    (SimpleUploadedFile("ho-so.json", b'{"identity": {}}'), "under"),
    (record_file(newcomer_record(birth_date="ngày xưa")), "identity.birth_date"),
])
def test_a_bad_record_file_is_refused_and_changes_nothing_R_8_3(hr, admin_user, upload, field_or_text):
    arrival = arrivals.decide(admin_user, ask(hr), approve=True)
    with pytest.raises(ServiceError) as refused:
        arrivals.bring_in(admin_user, arrival, upload=upload)
    assert field_or_text in (refused.value.field or "") + refused.value.message
    assert not Person.objects.exists() and Arrival.objects.get().state == Arrival.State.APPROVED


def test_the_arrival_pages_R_8_3(client, hr, admin_user):
    client.force_login(hr)
    assert client.get("/movements/arrivals/new/").status_code == 200
    refused = client.post("/movements/arrivals/new/", {"to_unit": unit(BUDGET).pk, "origin": "province", "origin_agency": "Sở TC TP.HCM",
                                                       "full_name": "Lê Thị Hoa", "birth_date": "1990-06-01", "citizen_id": "079185012345",
                                                       "handover_on": TODAY, "request_number": "15/STC", "request_date": TODAY,
                                                       "file": SimpleUploadedFile("d.pdf", PDF)})
    assert refused.status_code == 400 and "chữ số thứ 5 và 6" in refused.content.decode() and not Arrival.objects.exists()
    done = client.post("/movements/arrivals/new/", {"to_unit": unit(BUDGET).pk, "origin": "province", "origin_agency": "Sở TC TP.HCM",
                                                    "full_name": "Lê Thị Hoa", "birth_date": "1990-06-01", "citizen_id": NEWCOMER_ID,
                                                    "handover_on": TODAY, "request_number": "15/STC", "request_date": TODAY,
                                                    "file": SimpleUploadedFile("d.pdf", PDF)})
    arrival = Arrival.objects.get()
    assert done.status_code == 302 and "Lê Thị Hoa" in client.get("/movements/arrivals/").content.decode()
    page = client.get(f"/movements/arrivals/{arrival.pk}/").content.decode()
    assert "R-8.3a" in page and "Ghi nhận quyết định" not in page  # the unit does not decide
    assert client.get(f"/movements/arrivals/{arrival.pk}/document/").content == PDF
    client.force_login(admin_user)
    client.post(f"/movements/arrivals/{arrival.pk}/", {"action": "decide", "decision": "approve"})
    bad = client.post(f"/movements/arrivals/{arrival.pk}/", {"action": "bring_in", "file": SimpleUploadedFile("h.json", b"[]")})
    assert bad.status_code == 400 and Arrival.objects.get().state == Arrival.State.APPROVED
    client.post(f"/movements/arrivals/{arrival.pk}/", {"action": "bring_in", "file": record_file(newcomer_record())})
    assert Arrival.objects.get().state == Arrival.State.BROUGHT_IN and Person.objects.get().full_name == "Lê Thị Hoa"
    outsider = UserFactory(username="tccb.khdt", grant=("hr_officer", "000.00.02.H19"))
    client.force_login(outsider)
    assert client.get(f"/movements/arrivals/{arrival.pk}/").status_code == 403
    assert client.get(f"/movements/arrivals/{arrival.pk}/document/").status_code == 403


def test_the_arrival_api_R_8_3(client, hr, admin_user):
    client.force_login(hr)
    form = {"to_unit": BUDGET, "origin": "party", "origin_agency": "Tỉnh ủy Đồng Nai", "full_name": "Lê Thị Hoa", "birth_date": "1990-06-01",
            "citizen_id": NEWCOMER_ID, "handover_on": TODAY, "request_number": "3/TU", "request_date": TODAY}
    created = client.post("/api/v1/arrivals", {**form, "file": SimpleUploadedFile("d.pdf", PDF)})
    assert created.status_code == 201 and created.json()["steps"][0]["state"] == "done"
    arrival_id = created.json()["id"]
    assert client.post(f"/api/v1/arrivals/{arrival_id}/decision", {"approve": True}, content_type="application/json").status_code == 403
    client.force_login(admin_user)
    assert client.post(f"/api/v1/arrivals/{arrival_id}/decision", {"approve": True}, content_type="application/json").json()["state"] == "approved"
    brought = client.post(f"/api/v1/arrivals/{arrival_id}/record", {"file": record_file(newcomer_record())})
    assert brought.status_code == 200 and brought.json()["person_id"] == Person.objects.get().pk
    assert [a["state"] for a in client.get("/api/v1/arrivals").json()["items"]] == ["brought_in"]
