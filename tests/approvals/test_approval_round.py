"""The monthly approval round: who signs what, when, and what is refused (R-3.10, R-6.6, R-7.1, R-7.2, R-19.1)."""

import base64
import datetime

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.models import Role, RoleGrant, WrittenRequest
from approvals import services
from approvals.models import ApprovalWindow, Rejection, SigningBatch, VersionSignature
from approvals.signing import SoftwareSigner, raw_sign
from approvals.testca import TestCA, TestTSA
from audit.models import AuditEvent
from common.crypto import blind_index
from common.errors import ServiceError
from people import services as people
from people.models import ChangeSet, Person, RecordVersion
from tests.conftest import HEAD_CITIZEN_ID, KEY_PASSWORD, UserFactory
from tests.people.conftest import PDF, RECORD, sample_record, unit

DEPUTY_CITIZEN_ID = "075080000002"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the site's own language is Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def signer(head_key):
    return SoftwareSigner(head_key, KEY_PASSWORD.encode())


def submitted_phone(person, phone="0987654321") -> ChangeSet:
    change_set = people.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": phone}})
    return people.submit(person.account, change_set)


def token(person, change_set=None) -> str:
    return services.Item(person, change_set).token


def refused_with(exc_info) -> str:
    return exc_info.value.message


def test_approving_submitted_changes_makes_a_signed_version_R_3_10(person, head, signer):
    change_set = submitted_phone(person)
    assert list(services.pending_changes(head, datetime.date.today())) == [change_set]
    made = services.approve(head, [token(person, change_set)], signer)
    person.refresh_from_db()
    assert person.version == 2 and people.approved_record(person)["contacts"]["phone"] == "0987654321"
    signature = made[0]
    assert signature.version.number == 2 and signature.signed_by == head
    assert services.verify_version(signature).valid
    assert AuditEvent.objects.filter(actor=head, action="approvals.approve", outcome="ok").count() == 1


def test_a_head_signs_the_whole_unit_in_one_batch_R_19_1(person, head, signer, admin_user):
    records = [sample_record(identity={**RECORD["identity"], "citizen_id": f"0750850099{i:02d}", "full_name": f"Trần Văn {name}"})
               for i, name in enumerate(["An", "Bình", "Cường", "Dũng", "Em"])]
    people.load_approved([(unit("000.01.01.H19").pk, record) for record in records], approved_by=admin_user)
    day = datetime.date.today()
    waiting = services.unsigned_people(head, day)
    assert waiting.count() == 6
    made = services.approve(head, services.all_tokens(services.pending_changes(head, day), waiting), signer)
    assert len(made) == 6 and not services.unsigned_people(head, day).exists()
    assert {s.previous_hash for s in made} == {services.GENESIS}
    assert all(services.verify_version(s).valid for s in made)


def test_nobody_approves_their_own_record_R_7_1(person, signer, ca):
    own_head = UserFactory(username=person.account.username, grant=("unit_head", "000.02.01.H19"))  # the person heads their unit
    change_set = submitted_phone(person)
    key = SoftwareSigner(ca.pkcs12("Nguyễn Văn Dũng", b"pw", citizen_id=RECORD["identity"]["citizen_id"]), b"pw")
    with pytest.raises(ServiceError) as refused:
        services.approve(own_head, [token(person, change_set)], key)
    assert "own record" in refused_with(refused)
    assert person.versions.count() == 1
    assert AuditEvent.objects.filter(actor=own_head, action="approvals.approve", outcome="refused").exists()
    assert person not in services.unsigned_people(own_head, datetime.date.today())


@pytest.fixture
def head_person(head, admin_user):
    """The head's own record, linked to the head's account (the head holds the unit_head grant)."""
    record = sample_record(identity={**RECORD["identity"], "citizen_id": HEAD_CITIZEN_ID, "full_name": "Trần Quốc Bảo"})
    people.load_approved([(unit("000.00.01.H19").pk, record)], approved_by=admin_user)
    found = Person.objects.get(full_name="Trần Quốc Bảo")
    head.citizen_id_index = found.citizen_id_index
    head.save(update_fields=["citizen_id_index"])
    people.link_account(found, head)
    assert found.account == head
    return found


def test_the_heads_record_is_approved_by_a_deputy_R_7_1(head_person, head, signer, ca):
    other_head = UserFactory(username="giamdoc2", grant=("unit_head", "000.00.00.H19"))
    other_head.citizen_id_index = blind_index("075080000009")
    other_head.save()
    other_key = SoftwareSigner(ca.pkcs12("Chủ tịch", b"pw", citizen_id="075080000009"), b"pw")
    with pytest.raises(ServiceError) as refused:
        services.approve(other_head, [token(head_person)], other_key)
    assert "deputy" in refused_with(refused)
    deputy = UserFactory(username="phogiamdoc", grant=("deputy_head", "000.00.01.H19"))
    deputy.citizen_id_index = blind_index(DEPUTY_CITIZEN_ID)
    deputy.save()
    assert list(services.unsigned_people(deputy, datetime.date.today())) == [head_person]  # only the head's record
    deputy_key = SoftwareSigner(ca.pkcs12("Phó Giám đốc", b"pw", citizen_id=DEPUTY_CITIZEN_ID), b"pw")
    made = services.approve(deputy, [token(head_person)], deputy_key)
    assert made[0].version.person == head_person and "Phó Giám đốc" in made[0].signer_subject


def delegate_with(valid_from, valid_to, ca):
    delegate = UserFactory(username="uyquyen")
    written = WrittenRequest.objects.create(document_number="12/UQ-STC", document_date=valid_from, recorded_by=delegate,
                                            scan=SimpleUploadedFile("uq.pdf", PDF))
    RoleGrant.objects.create(user=delegate, role=Role.objects.get(code="approval_delegate"),
                             unit=unit("000.00.01.H19"), valid_from=valid_from, valid_to=valid_to, request=written)
    delegate.citizen_id_index = blind_index("075080000003")
    delegate.save()
    return delegate, SoftwareSigner(ca.pkcs12("Người được ủy quyền", b"pw", citizen_id="075080000003"), b"pw")


def test_a_delegation_out_of_date_is_refused_R_7_1(person, ca):
    today = datetime.date.today()
    delegate, key = delegate_with(today - datetime.timedelta(days=60), today - datetime.timedelta(days=1), ca)
    with pytest.raises(ServiceError) as refused:
        services.approve(delegate, [token(person)], key)
    assert "12/UQ-STC" in refused_with(refused)
    assert not VersionSignature.objects.exists()


def test_a_delegate_within_the_written_delegation_signs_R_7_1(person, ca):
    today = datetime.date.today()
    delegate, key = delegate_with(today - datetime.timedelta(days=1), today + datetime.timedelta(days=30), ca)
    assert len(services.approve(delegate, [token(person)], key)) == 1


def test_outside_the_last_days_of_the_month_an_administrator_opens_a_round_with_a_reason_R_7_1(person, head, signer, admin_user,
                                                                                            settings):
    settings.APPROVAL_WINDOW_DAYS = 5
    assert services.regular_window(datetime.date(2026, 11, 3)) == (datetime.date(2026, 11, 26), datetime.date(2026, 11, 30))
    assert services.regular_window(datetime.date(2028, 2, 10)) == (datetime.date(2028, 2, 25), datetime.date(2028, 2, 29))
    settings.APPROVAL_WINDOW_DAYS = 0  # closed every day, whatever day the suite runs
    with pytest.raises(ServiceError) as refused:
        services.approve(head, [token(person)], signer)
    assert "last days of the month" in refused_with(refused)
    today = datetime.date.today()
    with pytest.raises(PermissionDenied):
        services.open_window(head, unit_id=unit("000.00.01.H19").pk, opens_on=today, closes_on=today, reason="Cần ký gấp")
    with pytest.raises(ServiceError) as no_reason:
        services.open_window(admin_user, unit_id=unit("000.00.01.H19").pk, opens_on=today, closes_on=today, reason="  ")
    assert no_reason.value.field == "reason" and not ApprovalWindow.objects.exists()
    services.open_window(admin_user, unit_id=unit("000.00.01.H19").pk, opens_on=today, closes_on=today,
                         reason="Chiến dịch ký lần đầu theo Điều 19")
    assert services.window_open(person.unit_id, today)  # the round reaches the units under the one it was opened for
    assert not services.window_open(unit("000.00.02.H19").pk, today)
    assert len(services.approve(head, [token(person)], signer)) == 1


def test_a_certificate_of_someone_else_is_refused_R_3_11(person, head, ca):
    head.citizen_id_index = blind_index(HEAD_CITIZEN_ID)
    head.save()
    stranger = SoftwareSigner(ca.pkcs12("Người khác", b"pw", citizen_id="079099999999"), b"pw")
    with pytest.raises(ServiceError) as refused:
        services.approve(head, [token(person)], stranger)
    assert refused.value.field == "certificate" and "someone other" in refused_with(refused)
    assert not VersionSignature.objects.exists()
    assert AuditEvent.objects.filter(actor=head, action="approvals.approve", outcome="refused").exists()


@pytest.mark.parametrize("problem", ["untrusted", "expired"])
def test_an_untrusted_or_expired_certificate_is_refused_R_3_11(person, head, ca, problem):
    head.citizen_id_index = blind_index(HEAD_CITIZEN_ID)
    head.save()
    if problem == "untrusted":
        p12 = TestCA("CA lạ").pkcs12("Giám đốc", b"pw", citizen_id=HEAD_CITIZEN_ID)
    else:
        old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=800)
        p12 = ca.pkcs12("Giám đốc", b"pw", citizen_id=HEAD_CITIZEN_ID, valid_from=old, days=365)
    with pytest.raises(ServiceError):
        services.approve(head, [token(person)], SoftwareSigner(p12, b"pw"))
    assert not VersionSignature.objects.exists() and Person.objects.get().version == 1


def test_changes_resubmitted_after_they_were_shown_are_refused_R_7_1(person, head, signer):
    change_set = submitted_phone(person)
    shown = token(person, change_set)
    people.withdraw(person.account, change_set)
    submitted_phone(person, "0911111111")
    with pytest.raises(ServiceError) as refused:
        services.approve(head, [shown], signer)
    assert "changed after it was shown" in refused_with(refused)
    assert Person.objects.get().version == 1


def test_a_batch_is_all_or_nothing(person, head, signer):
    change_set = submitted_phone(person)
    with pytest.raises(ServiceError):
        services.approve(head, [token(person, change_set), "c999999.1.5"], signer)
    assert Person.objects.get().version == 1 and ChangeSet.objects.get().state == ChangeSet.State.SUBMITTED


def external_signature(p12: bytes, password: bytes, to_be_signed: bytes) -> bytes:
    key, _certificate, _chain = pkcs12.load_key_and_certificates(p12, password)
    return raw_sign(key, to_be_signed)


def chain_pem(p12: bytes, password: bytes) -> str:
    return "".join(services.certificate_pem(c) for c in [SoftwareSigner(p12, password).certificate, *SoftwareSigner(p12, password).chain])


def test_two_step_external_signing_R_3_11(person, head, head_key):
    change_set = submitted_phone(person)
    batch = services.prepare_batch(head, [token(person, change_set)], chain_pem(head_key, KEY_PASSWORD.encode()))
    assert Person.objects.get().version == 1  # nothing approved until the signatures come back
    signatures = {row.pk: external_signature(head_key, KEY_PASSWORD.encode(), bytes(row.signed_attributes)) for row in batch.items.all()}
    made = services.complete_batch(head, batch, signatures)
    assert Person.objects.get().version == 2 and services.verify_version(made[0]).valid
    batch.refresh_from_db()
    assert batch.state == SigningBatch.State.COMPLETED


def test_an_external_signature_over_other_bytes_is_refused_R_3_11(person, head, head_key):
    batch = services.prepare_batch(head, [token(person)], chain_pem(head_key, KEY_PASSWORD.encode()))
    row = batch.items.get()
    with pytest.raises(ServiceError) as refused:
        services.complete_batch(head, batch, {row.pk: external_signature(head_key, KEY_PASSWORD.encode(), b"other bytes")})
    assert "Nguyễn Văn Dũng" in refused_with(refused)
    batch.refresh_from_db()
    assert batch.state == SigningBatch.State.REFUSED and not VersionSignature.objects.exists()
    assert AuditEvent.objects.filter(action="approvals.complete", outcome="refused").exists()


def test_a_batch_prepared_before_the_record_changed_is_refused(person, head, head_key, signer):
    first = submitted_phone(person)
    batch = services.prepare_batch(head, [token(person, first)], chain_pem(head_key, KEY_PASSWORD.encode()))
    people.withdraw(person.account, first)
    submitted_phone(person, "0911111111")
    row = batch.items.get()
    with pytest.raises(ServiceError):
        services.complete_batch(head, batch, {row.pk: external_signature(head_key, KEY_PASSWORD.encode(), bytes(row.signed_attributes))})
    assert Person.objects.get().version == 1


def test_another_approver_cannot_complete_a_batch(person, head, head_key, admin_user):
    batch = services.prepare_batch(head, [token(person)], chain_pem(head_key, KEY_PASSWORD.encode()))
    with pytest.raises(PermissionDenied):
        services.complete_batch(admin_user, batch, {})


def test_sending_back_with_a_reason_per_field_and_resubmitting_R_7_2(person, head, signer, django_capture_on_commit_callbacks):
    person.account.email = "dungnv@example.vn"
    person.account.save()
    change_set = submitted_phone(person)
    assert set(services.change_paths(change_set)) == {"contacts.phone"}
    with pytest.raises(ServiceError) as empty:
        services.reject(head, change_set, reasons={"contacts.phone": "  "})
    assert empty.value.field == "reasons"
    with pytest.raises(ServiceError) as unknown:
        services.reject(head, change_set, reasons={"identity.full_name": "Sai tên"})
    assert unknown.value.field == "identity.full_name"
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(head, change_set, reasons={"contacts.phone": "Số điện thoại không liên lạc được"})
    change_set.refresh_from_db()
    assert change_set.state == ChangeSet.State.DRAFT and "không liên lạc được" in change_set.reason
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dungnv@example.vn"] and "không liên lạc được" in mail.outbox[0].body
    corrected = people.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0977777777"}})
    assert corrected.pk == change_set.pk  # the same changes, corrected: their history stays with them
    corrected = people.submit(person.account, corrected)
    services.approve(head, [token(person, corrected)], signer)
    assert people.approved_record(Person.objects.get())["contacts"]["phone"] == "0977777777"
    assert Rejection.objects.get().change_set_id == change_set.pk


def test_sending_back_is_for_the_approver_only_R_7_2(person, hr):
    change_set = submitted_phone(person)
    with pytest.raises(PermissionDenied):
        services.reject(hr, change_set, reasons={"contacts.phone": "Sai"})
    with pytest.raises(PermissionDenied):
        services.reject(UserFactory(username="gd.khac", grant=("unit_head", "000.00.02.H19")), change_set, reasons={"contacts.phone": "Sai"})
    assert not Rejection.objects.exists() and ChangeSet.objects.get().state == ChangeSet.State.SUBMITTED


def test_the_round_page_shows_the_diff_and_signs_with_a_key_R_7_1(client, person, head, head_key):
    change_set = submitted_phone(person)
    client.force_login(head)
    page = client.get(reverse("approvals:round")).content.decode()
    assert "0987654321" in page and "0912345678" in page and token(person, change_set) in page
    assert AuditEvent.objects.get(actor=head, action="approvals.review").details["people"] == [person.pk]
    wrong = client.post(reverse("approvals:sign"), {"item": token(person, change_set), "p12": SimpleUploadedFile("k.p12", head_key),
                                                    "password": "sai-mat-khau"})
    assert wrong.status_code == 400 and Person.objects.get().version == 1
    signed = client.post(reverse("approvals:sign"), {"item": token(person, change_set), "p12": SimpleUploadedFile("k.p12", head_key),
                                                     "password": KEY_PASSWORD})
    assert signed.status_code == 302 and Person.objects.get().version == 2
    assert RecordVersion.objects.get(number=2).signature.signed_by == head


def test_sign_all_refuses_a_list_that_changed_since_shown_R_19_1(client, person, head, head_key):
    client.force_login(head)
    page = client.get(reverse("approvals:round") + "?list=unsigned")
    fingerprint = page.context["fingerprint"]
    submitted_phone(person)  # the record leaves the unsigned list
    stale = client.post(reverse("approvals:sign"), {"all": "1", "list": "unsigned", "fingerprint": fingerprint,
                                                    "p12": SimpleUploadedFile("k.p12", head_key), "password": KEY_PASSWORD})
    assert stale.status_code == 400 and not VersionSignature.objects.exists()


def test_the_api_prepares_and_completes_an_external_batch_R_3_11(client, person, head, head_key):
    client.force_login(head)
    items = client.get("/api/v1/approvals/items?kind=unsigned").json()["items"]
    assert [item["person_id"] for item in items] == [person.pk]
    prepared = client.post("/api/v1/approvals/batches", {"items": [items[0]["token"]], "certificates": chain_pem(head_key, KEY_PASSWORD.encode())},
                           content_type="application/json")
    assert prepared.status_code == 201, prepared.content
    item = prepared.json()["items"][0]
    raw = external_signature(head_key, KEY_PASSWORD.encode(), base64.b64decode(item["to_be_signed"]))
    done = client.post(f"/api/v1/approvals/batches/{prepared.json()['id']}/signatures",
                       {"signatures": [{"item": item["id"], "signature": base64.b64encode(raw).decode()}]}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert client.get(f"/api/v1/people/{person.pk}/versions/1/signature").json()["valid"] is True


def test_approvals_are_timestamped_when_a_timestamp_authority_is_configured_R_3_11(person, head, signer, ca, settings):
    with TestTSA(*ca.issue_tsa("Dịch vụ cấp dấu thời gian thử nghiệm")).serve() as url:
        settings.APPROVAL_TSA_URL = url
        made = services.approve(head, [token(person)], signer)
    result = services.verify_version(made[0])
    assert result.valid and result.timestamped_at is not None


def test_a_revoked_certificate_cannot_approve_R_3_11(person, head, head_key, ca, settings, tmp_path):
    certificate = SoftwareSigner(head_key, KEY_PASSWORD.encode()).certificate
    settings.APPROVAL_CRL_DIR = tmp_path / "crls"
    settings.APPROVAL_CRL_DIR.mkdir()
    (settings.APPROVAL_CRL_DIR / "ca.crl").write_bytes(ca.crl([(certificate, datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))]))
    with pytest.raises(ServiceError) as refused:
        services.approve(head, [token(person)], SoftwareSigner(head_key, KEY_PASSWORD.encode()))
    assert "revoked" in refused_with(refused) and not VersionSignature.objects.exists()


def test_the_person_sees_what_to_correct_beside_each_field_R_7_2(client, person, head):
    change_set = submitted_phone(person)
    services.reject(head, change_set, reasons={"contacts.phone": "Số này không liên lạc được"}, note="Bổ sung trước ngày 30")
    client.force_login(person.account)
    page = client.get(reverse("people:change_set", args=[change_set.pk])).content.decode()
    assert "Số này không liên lạc được" in page and "Bổ sung trước ngày 30" in page
    assert str(services.change_paths(change_set)["contacts.phone"]) in page


def test_an_administrator_opens_an_extra_round_on_the_page_R_7_1(client, admin_user, small_tree):
    client.force_login(admin_user)
    today = datetime.date.today()
    data = {"unit": unit("000.00.01.H19").pk, "opens_on": today, "closes_on": today - datetime.timedelta(days=1), "reason": "Ký bổ sung"}
    refused = client.post(reverse("approvals:windows"), data)
    assert refused.status_code == 400 and not ApprovalWindow.objects.exists()
    assert client.post(reverse("approvals:windows"), {**data, "closes_on": today}).status_code == 302
    window = ApprovalWindow.objects.get()
    assert window.reason == "Ký bổ sung" and window.opened_by == admin_user
    assert "Ký bổ sung" in client.get(reverse("approvals:windows")).content.decode()
