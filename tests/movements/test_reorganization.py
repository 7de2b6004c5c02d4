"""Reorganizations carry people (R-3.9, R-8.1): merges, consolidations, splits and dissolutions move the people, their
accounts' scopes, their pending changes and scheduled transfers to the successor units, atomically, with history kept."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts import authz
from accounts.models import User
from approvals import services as approvals
from audit.models import AuditEvent
from movements.models import Transfer
from movements.services import transfer
from orgs import services as orgs
from orgs.models import ReorgPlan, Unit
from people import services as people
from people.models import ChangeSet, Person, RecordVersion
from people.timeline import timeline
from tests.conftest import UserFactory, apply
from tests.people.conftest import PDF, RECORD, sample_record, unit

TODAY = timezone.localdate()
BUDGET, OFFICE = "000.02.01.H19", "000.01.01.H19"  # Phòng Ngân sách, Văn phòng Sở Tài chính (both under Sở Tài chính)
INVEST_OFFICE = "000.01.02.H19"  # Văn phòng Sở KH&ĐT


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def hire(code: str, count: int, admin, first: int = 1) -> list[Person]:
    """Approved civil servants of a unit, each with their own citizen ID."""
    records = [sample_record(identity={**RECORD["identity"], "full_name": f"Trần Thị Mai {n}", "citizen_id": f"0750850099{n:02d}"})
               for n in range(first, first + count)]
    people.load_approved([(unit(code).pk, record) for record in records], approved_by=admin, valid_from=datetime.date(2025, 1, 1))
    return list(Person.objects.filter(full_name__startswith="Trần Thị Mai", unit=unit(code)).order_by("pk"))


def merge(source: str, target: str) -> dict:
    return {"operation": "merge", "params": {"source": source, "target": target}}


def test_a_merge_moves_people_records_accounts_and_pending_changes_R_3_9(person, admin_user):
    account = person.account
    change_set = people.edit_sections(account, person, {"contacts": {**RECORD["contacts"], "phone": "0987654321"}})
    people.submit(account, change_set)
    budget, office = unit(BUDGET).pk, unit(OFFICE).pk
    preview, plan = apply([merge(BUDGET, OFFICE)], admin_user, TODAY)

    assert preview.totals["people_moved"] == 1 and plan.result["steps"][0]["people_moved"] == 1
    person.refresh_from_db()
    assert person.unit_id == office and person.version == 2
    assert people.approved_record(person) == people.approved_record(person, 1)  # same record, next version in the new unit
    assert people.record_as_of(person, TODAY - datetime.timedelta(days=1))[1].unit_id == budget  # where they were before
    assert person.versions.get(number=2).unit_id == office
    authz.forget(account)
    account.refresh_from_db()
    assert account.unit_id == office and authz.can(account, "self.edit")
    assert set(account.grants.filter(revoked_at__isnull=True).values_list("unit_id", flat=True)) == {office}
    assert account.grants.get(unit_id=budget).changes.filter(action="revoke", details__reorganization=plan.pk).exists()
    # the pending change follows: it is now based on the new version and approves into the new unit
    change_set.refresh_from_db()
    assert change_set.state == ChangeSet.State.SUBMITTED and change_set.base_version == 2
    version = people.make_version(admin_user, change_set)
    assert version.number == 3 and version.unit_id == office
    assert people.approved_record(Person.objects.get())["contacts"]["phone"] == "0987654321"
    assert AuditEvent.objects.filter(action="movements.reorganization", object_id=str(person.pk), unit_id=office,
                                     details__from_unit=budget).exists()


def test_moved_records_await_the_successor_heads_signature_R_3_9(person, admin_user):
    head = UserFactory(username="cvp", grant=("unit_head", OFFICE))
    assert person not in approvals.unsigned_people(head, TODAY)
    apply([merge(BUDGET, OFFICE)], admin_user, TODAY)
    assert list(approvals.unsigned_people(head, TODAY)) == [Person.objects.get()]


def test_a_consolidation_moves_the_people_of_every_source_to_the_new_unit_R_3_9(small_tree, admin_user):
    first, second = hire(BUDGET, 2, admin_user), hire(INVEST_OFFICE, 1, admin_user, first=3)
    new = {"name": "Văn phòng hợp nhất", "code": "000.09.01.H19", "kind": "DEPT_OFFICE", "level": "PROVINCE", "parent": "000.00.01.H19"}
    preview, _plan = apply([{"operation": "consolidate", "params": {"sources": [BUDGET, INVEST_OFFICE], "new": new}}], admin_user, TODAY)
    assert preview.totals["people_moved"] == 3
    assert set(Person.objects.filter(pk__in=[p.pk for p in first + second]).values_list("unit_id", flat=True)) == {unit("000.09.01.H19").pk}


def test_a_split_sends_listed_people_to_their_new_unit_and_the_rest_to_the_first_R_3_9(small_tree, admin_user):
    staff = hire(BUDGET, 3, admin_user)
    parts = [{"name": "Phòng Ngân sách xã", "code": "000.07.01.H19", "kind": "DEPT_OFFICE", "level": "PROVINCE", "parent": "000.00.01.H19"},
             {"name": "Phòng Ngân sách tỉnh", "code": "000.08.01.H19", "kind": "DEPT_OFFICE", "level": "PROVINCE", "parent": "000.00.01.H19",
              "people": [staff[2].pk]}]
    preview, _plan = apply([{"operation": "split", "params": {"source": BUDGET, "new_units": parts}}], admin_user, TODAY)
    assert preview.totals["people_moved"] == 3
    units = dict(Person.objects.values_list("pk", "unit_id"))
    assert [units[p.pk] for p in staff] == [unit("000.07.01.H19").pk, unit("000.07.01.H19").pk, unit("000.08.01.H19").pk]


def test_a_separation_moves_only_the_listed_people_R_3_9(small_tree, admin_user):
    staff = hire(BUDGET, 2, admin_user)
    part = {"name": "Phòng Quản lý giá", "code": "000.08.01.H19", "kind": "DEPT_OFFICE", "level": "PROVINCE", "parent": "000.00.01.H19",
            "people": [staff[1].pk]}
    apply([{"operation": "split", "params": {"source": BUDGET, "keep_source": True, "new_units": [part]}}], admin_user, TODAY)
    assert list(Person.objects.order_by("pk").values_list("unit_id", flat=True)) == [unit(BUDGET).pk, unit("000.08.01.H19").pk]
    assert Person.objects.get(pk=staff[0].pk).version == 1


def test_a_dissolution_with_working_people_needs_their_new_unit_and_changes_nothing_R_3_9(person, admin_user):
    plan = orgs.create_plan(title="giải thể", effective_date=TODAY, user=admin_user, steps=[{"operation": "dissolve", "params": {"unit": BUDGET}}])
    with pytest.raises(orgs.ReorgError) as refused:
        orgs.apply_plan(plan, admin_user)
    assert refused.value.field == "people_to" and refused.value.position == 1 and "1 working people" in refused.value.message
    assert Unit.objects.get(pk=unit(BUDGET).pk).ended_on is None and Person.objects.get().version == 1
    assert ReorgPlan.objects.get(pk=plan.pk).status == ReorgPlan.Status.DRAFT
    apply([{"operation": "dissolve", "params": {"unit": BUDGET, "people_to": OFFICE}}], admin_user, TODAY)
    assert Person.objects.get().unit_id == unit(OFFICE).pk


def test_closed_records_of_a_dissolved_unit_stay_in_the_archive_of_the_unit_above_R_8_5(person, admin_user, hr):
    people.set_status(hr, person, status="retired", effective_on=TODAY, decision="7/QĐ-STC")
    budget = unit(BUDGET).pk
    apply([{"operation": "dissolve", "params": {"unit": BUDGET}}], admin_user, TODAY)
    archived = Person.objects.get()
    assert archived.unit_id == unit("000.00.01.H19").pk and archived.version == 1  # a closed record gets no new version
    assert archived.versions.get().unit_id == budget
    assert archived in people.search_people(hr, people.PeopleQuery(status="retired"))  # the finance department's officer finds it


def test_people_follow_units_through_several_steps_of_one_plan_R_3_9(person, admin_user):
    apply([merge(BUDGET, OFFICE), merge(OFFICE, INVEST_OFFICE)], admin_user, TODAY)
    person.refresh_from_db()
    assert person.unit_id == unit(INVEST_OFFICE).pk and person.version == 2  # one new version for the whole plan


def test_roles_a_unit_hands_out_follow_it_and_leadership_roles_end_R_3_9(person, admin_user):
    officer = UserFactory(username="tccb.ns", grant=("hr_officer", BUDGET))
    chief = UserFactory(username="tp.ns", grant=("unit_head", BUDGET))
    agency = UserFactory(username="cq.ns", kind=User.Kind.AGENCY, unit=unit(BUDGET))
    apply([merge(BUDGET, OFFICE)], admin_user, TODAY)
    assert [(g.role.code, g.unit_id) for g in officer.grants.filter(revoked_at__isnull=True)] == [("hr_officer", unit(OFFICE).pk)]
    assert not chief.grants.filter(revoked_at__isnull=True).exists()
    agency.refresh_from_db()
    assert agency.closed_at is not None


def test_listing_someone_of_another_unit_refuses_the_plan_R_3_9(person, admin_user):
    other = hire(OFFICE, 1, admin_user)[0]
    part = {"name": "Phòng mới", "code": "000.08.01.H19", "kind": "DEPT_OFFICE", "level": "PROVINCE", "parent": "000.00.01.H19",
            "people": [other.pk]}
    plan = orgs.create_plan(title="tách", effective_date=TODAY, user=admin_user,
                            steps=[merge(INVEST_OFFICE, OFFICE), {"operation": "split", "params": {"source": BUDGET, "keep_source": True,
                                                                                                      "new_units": [part]}}])
    preview = orgs.preview_plan(plan)
    assert preview.error.position == 2 and preview.error.field == "people" and f"Record no. {other.pk}" in preview.error.message
    assert not Unit.objects.filter(ended_on__isnull=False).exists() and Person.objects.get(pk=other.pk).unit_id == unit(OFFICE).pk


def test_the_preview_counts_people_and_changes_nothing_R_3_9(person, admin_user):
    plan = orgs.create_plan(title="sáp nhập", effective_date=TODAY, user=admin_user, steps=[merge(BUDGET, OFFICE)])
    assert orgs.preview_plan(plan).as_dict()["totals"]["people_moved"] == 1
    assert Person.objects.get().unit_id == unit(BUDGET).pk and RecordVersion.objects.count() == 1


def test_scheduled_transfers_follow_the_units_they_leave_and_join_R_8_1(person, admin_user, hr):
    later = TODAY + datetime.timedelta(days=20)
    moved = transfer(hr, person, to_unit_id=unit(OFFICE).pk, decision_number="12/QĐ", decision_date=TODAY, effective_on=later,
                     upload=SimpleUploadedFile("qd.pdf", PDF))
    apply([merge(OFFICE, "000.00.01.H19")], admin_user, TODAY)
    moved.refresh_from_db()
    assert moved.to_unit_id == unit("000.00.01.H19").pk and moved.state == Transfer.State.SCHEDULED
    plan = orgs.create_plan(title="giải thể", effective_date=TODAY, user=admin_user,
                            steps=[{"operation": "dissolve", "params": {"unit": "000.00.01.H19", "children_to": "000.00.00.H19"}}])
    error = orgs.preview_plan(plan).error
    assert error.field == "people_to" and "transfer" in error.message


def test_the_plan_page_shows_the_people_each_step_moves_R_3_9(client, person, admin_user):
    plan = orgs.create_plan(title="sáp nhập", effective_date=TODAY, user=admin_user, steps=[merge(BUDGET, OFFICE)])
    client.force_login(admin_user)
    with translation.override("vi"):
        page = client.get(f"/orgs/plans/{plan.pk}/preview/", HTTP_ACCEPT_LANGUAGE="vi")
    assert "Số người chuyển" in page.content.decode()
    assert client.post(f"/api/v1/reorganizations/{plan.pk}/preview").json()["totals"]["people_moved"] == 1


def test_the_timeline_names_the_decision_behind_each_unit_change_R_4_1(person, admin_user, hr):
    transfer(hr, person, to_unit_id=unit(OFFICE).pk, decision_number="12/QĐ-STC", decision_date=TODAY - datetime.timedelta(days=2),
             effective_on=TODAY - datetime.timedelta(days=2), upload=SimpleUploadedFile("qd.pdf", PDF))
    plan = orgs.create_plan(title="sáp nhập", effective_date=TODAY, user=admin_user, decision_number="1234/QĐ-UBND",
                            steps=[merge(OFFICE, INVEST_OFFICE)])
    orgs.apply_plan(plan, admin_user)
    units = [(event.text, event.decision) for event in timeline(admin_user, Person.objects.get()) if event.kind == "unit"]
    assert units == [("In the unit Văn phòng Sở KH&ĐT", "1234/QĐ-UBND"), ("In the unit Văn phòng Sở Tài chính", "12/QĐ-STC"),
                     ("In the unit Phòng Ngân sách", "")]
