"""Transfers within one authority (R-8.1): from a decision, the record, position and account move to the new unit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import authz
from accounts.models import Role, RoleGrant
from approvals import services as approvals
from audit.models import AuditEvent
from common.errors import ServiceError
from movements.models import Transfer
from movements.services import apply_due, transfer
from people import services as people
from people.models import Person
from tests.conftest import UserFactory, apply
from tests.people.conftest import PDF, sample_record, unit

TODAY = datetime.date.today()
OFFICE = "000.01.01.H19"  # Văn phòng Sở Tài chính, beside the person's Phòng Ngân sách


def decision(**changes):
    values = {"to_unit_id": changes.get("to_unit_id") or unit(OFFICE).pk, "decision_number": "88/QĐ-STC", "decision_date": TODAY, "effective_on": TODAY,
              "upload": SimpleUploadedFile("qd.pdf", PDF), "position": ""}
    return {**values, **changes}


def test_a_transfer_moves_record_position_and_account_to_the_new_unit_R_8_1(person, hr, head):
    moved = transfer(hr, person, **decision(position="PTP_SO"))
    person.refresh_from_db()
    assert moved.state == Transfer.State.APPLIED and person.unit_id == unit(OFFICE).pk and person.version == 2
    record = people.approved_record(person)
    assert record["positions"][-1] == {"position": "PTP_SO", "unit_name": "Văn phòng Sở Tài chính", "appointed_on": TODAY.isoformat(),
                                       "decision": "88/QĐ-STC"}
    assert people.record_as_of(person, TODAY - datetime.timedelta(days=1))[1].unit_id == unit("000.02.01.H19").pk  # where they were
    account = person.account
    account.refresh_from_db()
    authz.forget(account)
    assert account.unit_id == unit(OFFICE).pk and authz.can(account, "self.view")
    assert set(account.grants.filter(revoked_at__isnull=True).values_list("unit_id", flat=True)) == {unit(OFFICE).pk}
    # the receiving unit signs the new version in its round
    assert person in approvals.unsigned_people(head, TODAY)
    assert AuditEvent.objects.filter(actor=hr, action="movements.transfer", outcome="ok").exists()


def test_a_future_transfer_waits_for_its_day_R_8_1(person, hr, django_capture_on_commit_callbacks):
    later = TODAY + datetime.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        moved = transfer(hr, person, **decision(effective_on=later))
    assert len(callbacks) == 1  # the worker is asked to apply it on its day
    assert moved.state == Transfer.State.SCHEDULED and Person.objects.get().unit_id == unit("000.02.01.H19").pk
    assert apply_due(TODAY) == []
    assert [t.pk for t in apply_due(later)] == [moved.pk]
    assert Person.objects.get().unit_id == unit(OFFICE).pk


@pytest.mark.parametrize(("changes", "field"), [
    ({"effective_on": datetime.date(2000, 1, 1), "decision_date": datetime.date(2000, 1, 1)}, "effective_on"),  # before recruitment
    ({"decision_number": "  "}, "decision_number"),
    ({"decision_date": TODAY + datetime.timedelta(days=1)}, "decision_date"),
    ({"position": "KHONG_CO"}, "position"),
    ({"upload": SimpleUploadedFile("qd.pdf", b"GIF89a")}, "file"),
])
def test_bad_decisions_are_refused_and_change_nothing_R_8_1(person, hr, changes, field):
    with pytest.raises(ServiceError) as refused:
        transfer(hr, person, **decision(**changes))
    assert refused.value.field == field
    assert not Transfer.objects.exists() and Person.objects.get().version == 1
    assert AuditEvent.objects.filter(actor=hr, action="movements.transfer", outcome="refused").exists()


def test_a_transfer_into_a_dissolved_unit_is_refused_R_8_1(person, hr, admin_user):
    office = unit(OFFICE).pk
    apply([{"operation": "dissolve", "params": {"unit": OFFICE}}], admin_user, day=timezone.localdate())
    with pytest.raises(ServiceError) as refused:
        transfer(hr, person, **decision(to_unit_id=office, effective_on=TODAY + datetime.timedelta(days=1)))
    assert refused.value.field == "to_unit"


def test_overlapping_transfers_and_archived_people_are_refused_R_8_1(person, hr):
    transfer(hr, person, **decision(effective_on=TODAY + datetime.timedelta(days=5)))
    with pytest.raises(ServiceError) as overlapping:
        transfer(hr, person, **decision(to_unit_id=unit("000.00.01.H19").pk, effective_on=TODAY + datetime.timedelta(days=7)))
    assert "already scheduled" in str(overlapping.value) or overlapping.value.field == "effective_on"
    people.set_status(hr, person, status="retired", effective_on=TODAY, decision="5/QĐ-STC")
    with pytest.raises(ServiceError) as closed:
        transfer(hr, Person.objects.get(), **decision(to_unit_id=unit("000.00.01.H19").pk))
    assert closed.value.field == "person"


def test_a_transfer_outside_the_officers_authority_is_refused_R_8_1(person, hr):
    with pytest.raises(PermissionDenied):
        transfer(hr, person, **decision(to_unit_id=unit("000.02.02.H19").pk))  # a unit of another department
    outsider = UserFactory(username="tccb.khdt", grant=("hr_officer", "000.00.02.H19"))
    with pytest.raises(PermissionDenied):
        transfer(outsider, person, **decision(to_unit_id=unit("000.02.02.H19").pk))
    assert not Transfer.objects.exists()


def test_the_transfer_page_and_api_R_8_1(client, person, hr):
    client.force_login(hr)
    page = client.get(f"/movements/people/{person.pk}/transfer/")
    assert page.status_code == 200 and "Văn phòng Sở Tài chính" in page.content.decode()
    refused = client.post(f"/movements/people/{person.pk}/transfer/", {"to_unit": unit(OFFICE).pk, "decision_number": "9/QĐ",
                                                                       "decision_date": TODAY, "effective_on": TODAY,
                                                                       "file": SimpleUploadedFile("qd.pdf", b"not a scan")})
    assert refused.status_code == 400 and not Transfer.objects.exists()
    done = client.post(f"/api/v1/people/{person.pk}/transfers", {"to_unit": OFFICE, "decision_number": "9/QĐ", "decision_date": TODAY,
                                                                  "effective_on": TODAY + datetime.timedelta(days=3),
                                                                  "file": SimpleUploadedFile("qd.pdf", PDF)})
    assert done.status_code == 201 and done.json()["state"] == "scheduled"
    assert [t["decision_number"] for t in client.get(f"/api/v1/people/{person.pk}/transfers").json()["items"]] == ["9/QĐ"]
    decision_scan = Transfer.objects.get().document.sha256
    assert client.get(f"/people/documents/{decision_scan}/").content == PDF


def test_a_heads_role_does_not_follow_them_to_the_new_unit_R_8_1(person, hr):
    account = person.account
    RoleGrant.objects.create(user=account, role=Role.objects.get(code="unit_head"), unit=unit("000.02.01.H19"), valid_from=TODAY)
    transfer(hr, person, **decision())
    active = account.grants.filter(revoked_at__isnull=True).select_related("role")
    assert [(g.role.code, g.unit_id) for g in active] == [("employee", unit(OFFICE).pk)]
    assert account.grants.get(role__code="unit_head").changes.filter(action="revoke").exists()


def test_between_communes_the_administering_body_moves_the_record_and_issues_the_access_R_8_2(client, small_tree, admin_user):
    body = "000.00.02.H19"  # the body administering both communes (the tree keeps them under the province)
    apply([{"operation": "update", "params": {"unit": "000.00.51.H19", "managing_body": body}},
           {"operation": "create", "params": {"name": "UBND phường Long Bình", "code": "000.00.52.H19", "kind": "COMMUNE_COMMITTEE",
                                              "level": "COMMUNE", "parent": "000.00.00.H19", "managing_body": body}}], admin_user, TODAY)
    people.load_approved([(unit("000.00.51.H19").pk, sample_record())], approved_by=admin_user, valid_from=datetime.date(2025, 1, 1))
    clerk = Person.objects.get()
    account = UserFactory(username="congchuc.xa", grant=("employee", "000.00.51.H19"))
    account.citizen_id_index = clerk.citizen_id_index
    account.save()
    people.link_account(clerk, account)
    commune_officer = UserFactory(username="tccb.phuong", grant=("hr_officer", "000.00.51.H19"))
    other_body = UserFactory(username="tccb.stc", grant=("hr_officer", "000.00.01.H19"))
    body_officer = UserFactory(username="tccb.khdt", grant=("hr_officer", body))
    longbinh = unit("000.00.52.H19").pk
    for outsider in (commune_officer, other_body):
        with pytest.raises(PermissionDenied):
            transfer(outsider, clerk, **decision(to_unit_id=longbinh))
    client.force_login(body_officer)  # the body's officer finds the other commune among the transfer page's units
    assert "UBND phường Long Bình" in client.get(f"/movements/people/{clerk.pk}/transfer/").content.decode()
    moved = transfer(body_officer, clerk, **decision(to_unit_id=longbinh))
    clerk.refresh_from_db()
    assert moved.state == Transfer.State.APPLIED and clerk.unit_id == longbinh
    issued = account.grants.get(revoked_at__isnull=True)
    assert issued.unit_id == longbinh and issued.granted_by == body_officer
