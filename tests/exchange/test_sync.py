"""The sync with the national database: the outbox, the NDXP adapter with mutual TLS, and the simulator's failures."""

import base64
import datetime
import json
import socket
import ssl

import pytest
import rfc8785
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from approvals.models import VersionSignature
from approvals.signing import SoftwareSigner, canonical_payload, sign
from audit.models import AuditEvent
from common.errors import ServiceError
from exchange import adapters, packets, services
from exchange.models import Difference, Packet, Reconciliation
from exchange.simulator import BASE
from movements import arrivals
from movements.models import Arrival
from people import services as people
from people.models import Person
from tests.conftest import UserFactory
from tests.people.conftest import PDF, RECORD, sample_record, unit

from .conftest import sign_all, staff

State = Packet.State


def test_an_approval_writes_its_packets_in_the_same_transaction_R_11_1(head, signer, admin_user, monkeypatch):
    staff(2, admin_user)
    made = sign_all(head, signer)
    queued = Packet.objects.order_by("pk")
    assert [(p.version_id, p.state, p.payload_hash) for p in queued] == [(s.version_id, State.PENDING, s.payload_hash) for s in made]
    assert len({p.key for p in queued}) == 2
    # An outbox that cannot be written undoes the approval: no version is signed without its packet.
    staff(1, admin_user, start=50)
    monkeypatch.setattr(Packet.objects, "bulk_create", lambda rows: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        sign_all(head, signer)
    assert VersionSignature.objects.count() == 2 and Packet.objects.count() == 2


def test_signed_packets_reach_the_national_database_over_mutual_tls_R_11_2_R_11_3(head, signer, admin_user, national):
    staff(3, admin_user)
    made = sign_all(head, signer)
    assert services.send_all() == {"claimed": 3, "acknowledged": 3, "sent": 0, "rejected": 0, "failed": 0, "dead": 0}
    assert national.store.count() == 3
    for packet in Packet.objects.all():
        assert packet.state == State.ACKNOWLEDGED and packet.receipt.startswith("QG-") and packet.acknowledged_at
    # What the national side holds is the version the head signed, with the head's signature and the unit's identifier code.
    citizen_id = people.approved_record(made[0].version.person)["identity"]["citizen_id"]
    held = adapters.connect().fetch(citizen_id)
    assert held["record"]["unit_code"] == "000.00.01.H19" and held["sender"]["agency_code"] == "000.00.00.H19"
    assert base64.b64decode(held["signature"]) == bytes(made[0].signature)
    assert packets.signed_bytes(held) == approvals.version_payload(made[0].version, made[0].previous_hash)
    assert AuditEvent.objects.get(action="exchange.send").details["acknowledged"] == 3


def test_packets_follow_the_published_schema_R_18_1(head, signer, admin_user):
    staff(1, admin_user)
    sign_all(head, signer)
    packet = Packet.objects.get()
    bodies, _by_key, broken = services._bodies([packet.pk], approvals.UnitCodes())
    assert not broken and packets.problems(bodies[0]) == []
    assert packets.SCHEMA_PATH.read_text(encoding="utf-8") == packets.schema_text(), "run manage.py packet_schema"
    bad = {**bodies[0], "record": {**bodies[0]["record"], "unit_code": "H19"}}
    bad["payload"] = {**bad["payload"], "record": {**bad["payload"]["record"], "identity": {"nickname": "x"}}}
    found = packets.problems(bad)
    assert any(p.startswith("record/unit_code") for p in found) and any(p.startswith("payload/record/identity") for p in found)


def test_a_failing_national_side_is_retried_with_backoff_then_stops_for_an_operator_R_18_3(head, signer, admin_user, national,
                                                                                         settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    staff(1, admin_user)
    sign_all(head, signer)
    national.control(fail=10, status=503)
    start = timezone.now()
    assert services.send_all()["failed"] == 1
    packet = Packet.objects.get()
    assert packet.state == State.PENDING and packet.attempts == 1 and "503" in packet.last_error
    assert datetime.timedelta(seconds=8) <= packet.next_attempt_at - start <= datetime.timedelta(seconds=13)
    assert services.send_due(adapters.connect())["claimed"] == 0  # not before its time
    assert services.next_due() == packet.next_attempt_at
    services.send_due(adapters.connect(), now=packet.next_attempt_at)
    packet.refresh_from_db()
    assert packet.state == State.DEAD and packet.attempts == 2 and national.store.count() == 0
    # The operator sends it again once the national side is back; the same key, so at most once there.
    national.control(fail=0)
    with pytest.raises(Exception, match="Sở Nội vụ"):
        services.resend(head, [packet.pk])
    assert services.resend(admin_user, [packet.pk]) == 1
    services.send_all()
    packet.refresh_from_db()
    assert packet.state == State.ACKNOWLEDGED and national.store.count() == 1


def test_a_national_side_that_times_out_or_answers_slowly_R_18_3(head, signer, admin_user, national, settings):
    staff(2, admin_user)
    sign_all(head, signer)
    national.control(timeout=1, hang_seconds=2)
    assert services.send_all()["failed"] == 2
    assert "did not answer within" in Packet.objects.first().last_error
    national.control(delay=0.3)  # slow but within the timeout: it goes through
    services.send_due(adapters.connect(), now=timezone.now() + datetime.timedelta(minutes=1))
    assert set(Packet.objects.values_list("state", flat=True)) == {State.ACKNOWLEDGED}


def test_a_worker_killed_mid_send_loses_nothing_and_applies_nothing_twice_R_11_1(head, signer, admin_user, national, settings):
    staff(3, admin_user)
    sign_all(head, signer)

    class Killed(adapters.Ndxp):
        def send(self, bodies):
            super().send(bodies)  # the national side stored them, then the worker died before recording it
            raise SystemExit("worker killed")

    dying = Killed(settings.EXCHANGE_URL, client_cert=settings.EXCHANGE_CLIENT_CERT, client_key=settings.EXCHANGE_CLIENT_KEY,
                   ca_bundle=settings.EXCHANGE_CA_BUNDLE, service_code="S", agency_code=settings.EXCHANGE_AGENCY_CODE)
    with pytest.raises(SystemExit):
        services.send_due(dying)
    assert set(Packet.objects.values_list("state", flat=True)) == {State.SENDING} and national.store.count() == 3
    assert services.send_due(adapters.connect())["claimed"] == 0  # the lease still holds
    later = timezone.now() + datetime.timedelta(seconds=settings.EXCHANGE_LEASE_SECONDS + 1)
    assert services.send_due(adapters.connect(), now=later)["acknowledged"] == 3
    assert national.store.count() == 3 and Packet.objects.filter(attempts=2, state=State.ACKNOWLEDGED).count() == 3


def test_version_two_never_overtakes_version_one_R_11_1(person, head, signer, admin_user, national):
    sign_all(head, signer)  # the person's version 1
    national.control(fail=1)
    services.send_all()
    change_set = people.submit(person.account, people.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0911222333"}}))
    approvals.approve(head, [approvals.Item(Person.objects.get(pk=person.pk), change_set).token], signer)
    first, second = Packet.objects.order_by("number")
    later = timezone.now() + datetime.timedelta(hours=1)
    assert services.claim(10, later) == [first.pk]  # version 2 waits for version 1's acknowledgement
    Packet.objects.filter(pk=first.pk).update(state=State.PENDING, lease_until=None)
    services.send_due(adapters.connect(), now=later)
    services.send_due(adapters.connect(), now=later)
    assert list(Packet.objects.order_by("number").values_list("state", flat=True)) == [State.ACKNOWLEDGED, State.ACKNOWLEDGED]
    assert national.store.latest(RECORD["identity"]["citizen_id"])[0] == 2


def test_a_rejected_packet_stops_with_the_reason_and_is_resent_R_11_1(head, signer, admin_user, national):
    staff(2, admin_user)
    sign_all(head, signer)
    national.control(reject=1)
    counts = services.send_all()
    assert (counts["acknowledged"], counts["rejected"]) == (1, 1)
    rejected = Packet.objects.get(state=State.REJECTED)
    assert rejected.last_error == "refused by the operator of the simulator"
    services.resend(admin_user, [rejected.pk])
    services.send_all()
    assert Packet.objects.filter(state=State.ACKNOWLEDGED).count() == 2
    with pytest.raises(ServiceError, match="Only rejected or stopped"):
        services.resend(admin_user, [rejected.pk])


def test_a_version_altered_after_signing_is_not_sent_R_11_3(head, signer, admin_user, national):
    staff(1, admin_user)
    made = sign_all(head, signer)
    version = made[0].version
    content = {**version.content, "contacts": {**version.content.get("contacts", {}), "email": "gia-mao@example.vn"}}
    type(version).objects.filter(pk=version.pk).update(content=content)
    assert services.send_all()["dead"] == 1
    assert "no longer matches what was signed" in Packet.objects.get().last_error and national.store.count() == 0


def test_the_national_side_requires_the_agency_client_certificate_R_18_2(head, signer, admin_user, national, settings):
    staff(1, admin_user)
    sign_all(head, signer)
    stranger = adapters.Ndxp(settings.EXCHANGE_URL, ca_bundle=settings.EXCHANGE_CA_BUNDLE, service_code="S", agency_code="000.00.00.H19")
    with pytest.raises(adapters.Unavailable):
        stranger.send([{"packet_id": "x"}])
    impostor = adapters.Ndxp(settings.EXCHANGE_URL, client_cert=settings.EXCHANGE_CLIENT_CERT, client_key=settings.EXCHANGE_CLIENT_KEY,
                             ca_bundle=settings.EXCHANGE_CA_BUNDLE, service_code="S", agency_code="000.00.00.H20")
    with pytest.raises(adapters.Unavailable, match="403"):
        impostor.send([{"packet_id": "x"}])
    untrusting = ssl.create_default_context()  # the platform's certificate is checked too
    with pytest.raises(ssl.SSLError):
        untrusting.wrap_socket(socket.create_connection(("127.0.0.1", national.server.server_address[1])), server_hostname="127.0.0.1")
    assert national.store.count() == 0 and Packet.objects.get().state == State.PENDING


def test_reconciliation_lists_missing_outdated_and_rejected_records_and_resends_them_R_18_4(head, signer, admin_user, national):
    staff(3, admin_user)
    made = sign_all(head, signer)
    lost, rejected, kept = (signature.version.person_id for signature in made[:3])
    national.control(reject=0)
    services.send_all()
    national.store.db.execute("DELETE FROM packet WHERE source_id = ?", (lost,))  # the national side lost one
    Packet.objects.filter(person_id=rejected).update(state=State.REJECTED, last_error="thiếu mã định danh")
    reconciliation = Reconciliation.objects.create(started_by=admin_user)
    assert services.run_reconciliation(reconciliation) == 2
    found = {(d.person_id, d.kind, d.ours, d.theirs, d.reason) for d in reconciliation.differences.all()}
    assert found == {(lost, Difference.Kind.MISSING, 1, None, ""), (rejected, Difference.Kind.REJECTED, 1, 1, "thiếu mã định danh")}
    assert all(d.unit_id == unit("000.00.01.H19").pk for d in reconciliation.differences.all())
    assert services.resend_differences(admin_user, reconciliation) == 2
    services.send_all()
    again = Reconciliation.objects.create(started_by=admin_user)
    assert services.run_reconciliation(again) == 0 and again.checked == 3 and kept


def test_signed_versions_without_packets_are_queued_for_the_first_sync_R_19_1(head, signer, admin_user, national):
    staff(2, admin_user)
    sign_all(head, signer)
    Packet.objects.all().delete()  # signed before the exchange existed
    assert services.queue_unsent(admin_user) == 2
    services.send_all()
    assert national.store.count() == 2


def foreign_packet(ca, citizen_id: str, **record_changes) -> dict:
    """A record approved and signed in another province, as the national side holds it."""
    signer = SoftwareSigner(ca.pkcs12("Giám đốc Sở Nội vụ TP. Hồ Chí Minh", b"mk"), b"mk")
    record = sample_record(identity={**RECORD["identity"], "full_name": "Lê Thị Hoa", "citizen_id": citizen_id, **record_changes})
    payload = canonical_payload(person_id=9001, number=4, unit_code="000.01.00.G01", record=record, documents=[], previous_hash="a" * 64)
    return packets.build(key="f" * 32, agency_code="000.00.00.G01", person_id=9001, version=4, unit_code="000.01.00.G01",
                         valid_from=datetime.date(2025, 3, 1), previous_hash="a" * 64, payload=payload,
                         signature=sign(payload, signer, at=timezone.now()), created_at=timezone.now())


def approved_arrival(hr, admin_user, citizen_id: str) -> Arrival:
    arrival = arrivals.request_arrival(
        hr, to_unit_id=unit("000.02.01.H19").pk, origin="province", origin_agency="Sở Nội vụ TP. Hồ Chí Minh", full_name="Lê Thị Hoa",
        birth_date=datetime.date(1990, 6, 1), citizen_id=citizen_id, handover_on=datetime.date.today(), request_number="12/SNV",
        request_date=datetime.date.today(), upload=SimpleUploadedFile("de-nghi.pdf", PDF))
    return arrivals.decide(admin_user, arrival, approve=True)


def test_an_arrival_is_brought_in_from_the_national_database_as_a_change_set_R_8_3_R_9_1(hr, admin_user, ca, national):
    citizen_id = "079190000123"
    national.store.add("000.00.00.G01", foreign_packet(ca, citizen_id, gender="2", birth_date="1990-06-01"))
    arrival = services.fetch_for_arrival(admin_user, approved_arrival(hr, admin_user, citizen_id))
    assert arrival.state == Arrival.State.BROUGHT_IN
    draft = people.open_change_set(arrival.person)
    assert people.change_set_sections(draft)["identity"]["full_name"] == "Lê Thị Hoa" and arrival.person.version == 0
    assert AuditEvent.objects.get(action="exchange.fetch").details["receipt_version"] == 4


@pytest.mark.parametrize("spoil, message", [
    (lambda p: p["payload"]["record"]["identity"].update(full_name="Người Khác"), "does not match its approval signature"),
    (lambda p: p["record"].update(version="bốn"), "malformed"),
])
def test_a_malformed_or_altered_national_record_is_refused_and_changes_nothing_R_9_1(hr, admin_user, ca, national, spoil, message):
    citizen_id = "079190000124"
    packet = foreign_packet(ca, citizen_id, gender="2", birth_date="1990-06-01")
    spoil(packet)
    national.store.db.execute("INSERT INTO packet (packet_id, agency, source_id, citizen_id, version, payload_hash, receipt, body) "
                              "VALUES ('k', 'x', 1, ?, 4, 'h', 'r', ?)", (citizen_id, json.dumps(packet)))
    arrival = approved_arrival(hr, admin_user, citizen_id)
    with pytest.raises(ServiceError, match=message):
        services.fetch_for_arrival(admin_user, arrival)
    arrival.refresh_from_db()
    assert arrival.state == Arrival.State.APPROVED and not Person.objects.exists()
    assert AuditEvent.objects.filter(action="exchange.fetch", outcome="refused").count() == 1


def test_only_sonoivu_fetches_from_the_national_database_R_9_1(hr, admin_user, ca, national):
    arrival = approved_arrival(hr, admin_user, "079190000125")
    with pytest.raises(Exception, match="Only Sở Nội vụ"):
        services.fetch_for_arrival(hr, arrival)
    other = UserFactory(grant=("doha_admin", "000.00.00.H19"))
    with pytest.raises(ServiceError, match="holds no record"):
        services.fetch_for_arrival(other, arrival)


def test_sync_status_per_record_and_per_unit_R_18_4(person, head, signer, admin_user, national):
    staff(2, admin_user)
    sign_all(head, signer)
    national.control(reject=1)
    services.send_all()
    status = services.unit_status(admin_user)
    assert status["totals"] == {"acknowledged": 2, "rejected": 1}
    by_unit = status["units"]
    assert set(by_unit) == {unit("000.00.01.H19").pk, unit("000.02.01.H19").pk}
    assert sum(by_unit[unit("000.00.01.H19").pk].values()) == 2 and sum(by_unit[unit("000.02.01.H19").pk].values()) == 1
    rejected = Packet.objects.get(state=State.REJECTED)
    assert by_unit[rejected.unit_id]["rejected"] == 1
    other = UserFactory(grant=("unit_head", "000.00.02.H19"))
    assert services.unit_status(other)["totals"] == {}  # a head sees their own subtree only
    assert services.record_status(rejected.person).state == State.REJECTED


def test_sync_status_counts_each_person_once_by_their_latest_packet_R_18_4(person, head, signer, admin_user, national):
    staff(2, admin_user)
    sign_all(head, signer)
    services.send_all()
    change_set = people.submit(person.account, people.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0911222333"}}))
    approvals.approve(head, [approvals.Item(Person.objects.get(pk=person.pk), change_set).token], signer)  # version 2, not sent yet
    staff(1, admin_user, start=50)  # approved, not signed yet: nothing queued for them
    assert services.unit_status(admin_user)["totals"] == {"acknowledged": 2, "pending": 1, "not_queued": 1}
    assert services.sync_summary(head, unit("000.00.01.H19").pk) == {"acknowledged": 2, "waiting": 1, "stuck": 0}


def test_the_dashboard_shows_the_units_sync_to_those_who_see_it_R_18_4(client, head, signer, admin_user, viewer, national):
    staff(3, admin_user)
    sign_all(head, signer)
    national.control(reject=1)
    services.send_all()
    client.force_login(head)
    tile = client.get(reverse("compliance:dashboard")).content.decode()
    assert 'id="sync-tile"' in tile and "<span class=\"num\">2</span>" in tile.split('id="sync-tile"')[1][:60]
    assert services.sync_summary(head, unit("000.00.01.H19").pk) == {"acknowledged": 2, "waiting": 0, "stuck": 1}
    client.force_login(viewer)  # the leadership's viewer reads the dashboards, not the sync
    assert 'id="sync-tile"' not in client.get(reverse("compliance:dashboard")).content.decode()


def test_the_simulator_answers_unknown_paths_and_bad_bodies_with_errors(national):
    exchange = adapters.connect()
    status, answer = exchange._call("POST", "/packets", {"packets": "none"})
    assert status == 400 and "packets" in answer["detail"]
    assert exchange._call("GET", "/nothing")[0] == 404
    assert national.url.endswith(BASE)


def test_canonical_bytes_checked_against_their_hash_are_the_reference_ones_R_11_3():
    from approvals.signing import canonical_bytes, payload_hash

    plain = {"record": {"identity": {"full_name": "Nguyễn Văn A", "note": "dòng 1\ndòng 2\u0007"}}, "version": 2}
    reference = rfc8785.dumps(plain)
    assert canonical_bytes(plain, payload_hash(reference)) == reference
    awkward = {"ratio": 1.0, "\U0001f600": 1, "\uffff": 2}  # JCS writes 1.0 as 1 and sorts keys by UTF-16 code units
    reference = rfc8785.dumps(awkward)
    assert canonical_bytes(awkward, payload_hash(reference)) == reference
    assert canonical_bytes(awkward, "0" * 64) == reference  # a hash that matches nothing: the reference encoder decides
