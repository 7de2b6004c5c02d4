"""Data-quality checks (R-13.4, R-13.5): the same person twice, people past the retirement age still working, more people
than the staffing quota; each finding assigned to its unit and tracked until resolved."""

import datetime

from django.utils import timezone

from common.crypto import blind_index
from compliance.models import Finding
from compliance.quality import run_checks
from orgs.services import set_quota
from people import services as people
from people.models import Person
from tests.people.conftest import RECORD, sample_record, unit

TODAY = timezone.localdate()
BUDGET, OFFICE = "000.02.01.H19", "000.01.01.H19"


def load(admin, code: str, citizen_id: str, **identity):
    people.load_approved([(unit(code).pk, sample_record(identity={**RECORD["identity"], "citizen_id": citizen_id, **identity}))],
                         approved_by=admin)
    return Person.objects.get(citizen_id_index=blind_index(citizen_id))


def test_the_same_person_in_two_units_is_found_for_both_units_R_13_4(person, admin_user):
    twin = load(admin_user, OFFICE, "075085001299")  # same name and birth date, one digit of the ID mistyped
    assert run_checks() == {"opened": 2, "resolved": 0}
    found = {f.person_id: f for f in Finding.objects.filter(rule=Finding.Rule.DUPLICATE)}
    assert found[twin.pk].unit_id == unit(OFFICE).pk and found[twin.pk].details["others"] == [person.pk]
    assert found[person.pk].unit_id == unit(BUDGET).pk
    Person.objects.filter(pk=twin.pk).update(status="archived")  # the unit closes the record brought in twice
    assert run_checks() == {"opened": 0, "resolved": 2}
    assert not Finding.objects.filter(resolved_on__isnull=True).exists()


def test_someone_past_the_retirement_age_still_working_is_found_R_13_5(small_tree, admin_user):
    old = load(admin_user, BUDGET, "075160001234", full_name="Trần Văn Lão", birth_date="1960-01-15", gender="1")
    run_checks()
    finding = Finding.objects.get(rule=Finding.Rule.PAST_RETIREMENT)
    assert finding.person == old and finding.requirement == "R-13.5" and finding.details["retires_on"] < TODAY.isoformat()


def test_more_people_than_the_quota_is_found_then_resolved_when_the_quota_grows_R_13_4(person, admin_user):
    set_quota(unit(BUDGET), year=TODAY.year, category="CC", amount=0)
    assert run_checks()["opened"] == 1
    finding = Finding.objects.get(rule=Finding.Rule.QUOTA_EXCEEDED)
    assert finding.details == {"category": "CC", "year": TODAY.year, "quota": 0, "working": 1} and finding.unit_id == unit(BUDGET).pk
    set_quota(unit(BUDGET), year=TODAY.year, category="CC", amount=3)
    assert run_checks() == {"opened": 0, "resolved": 1}
    set_quota(unit(BUDGET), year=TODAY.year, category="CC", amount=0)
    assert run_checks() == {"opened": 1, "resolved": 0}  # found again: opened again, the same finding
    assert Finding.objects.count() == 1


def test_the_findings_page_and_api_stay_in_scope_R_13_4(client, person, admin_user, hr):
    load(admin_user, "000.01.02.H19", "075085001288")  # a twin in another department
    run_checks()
    client.force_login(hr)
    page = client.get("/compliance/findings/").content.decode()
    assert person.full_name in page and "Văn phòng Sở KH" not in page
    assert [f["unit_id"] for f in client.get("/api/v1/findings").json()["items"]] == [unit(BUDGET).pk]
    assert client.post("/api/v1/findings/run").status_code == 403
    client.force_login(admin_user)
    assert client.post("/api/v1/findings/run").json() == {"opened": 0, "resolved": 0}
    assert len(client.get("/api/v1/findings", {"state": ""}).json()["items"]) == 2
    assert datetime.date.fromisoformat(client.get("/api/v1/findings").json()["items"][0]["found_on"]) == TODAY


def test_fields_of_a_record_that_contradict_each_other_are_found_R_13_5(small_tree, admin_user):
    broken = load(admin_user, BUDGET, "075085001277", full_name="Lê Văn Sai")
    record = sample_record(identity={**RECORD["identity"], "citizen_id": "075085001266", "full_name": "Phan Thị Lệch"},
                           employment={**RECORD["employment"], "joined_unit_on": "2007-01-01"},  # before the recruitment
                           salary={**RECORD["salary"], "salary_step": 12})  # the rank's table has fewer steps
    people.load_approved([(unit(OFFICE).pk, record)], approved_by=admin_user)
    wrong = Person.objects.get(citizen_id_index=blind_index("075085001266"))
    assert run_checks()["opened"] == 1
    finding = Finding.objects.get(rule=Finding.Rule.RECORD_RULE)
    assert finding.person == wrong and finding.unit_id == unit(OFFICE).pk and finding.requirement == "R-13.5"
    assert {p["field"] for p in finding.details["problems"]} == {"employment.joined_unit_on", "salary.salary_step"}
    assert not Finding.objects.filter(person=broken).exists()
    Person.objects.filter(pk=wrong.pk).update(status="archived")
    assert run_checks() == {"opened": 0, "resolved": 1}


def test_a_record_is_read_again_only_once_it_changed_and_a_run_reads_within_its_budget_R_13_5(small_tree, admin_user):
    from unittest import mock

    from compliance import quality

    for n in range(3):
        record = sample_record(identity={**RECORD["identity"], "citizen_id": f"07508500126{n}", "full_name": f"Võ Văn Lệch {n}"},
                               employment={**RECORD["employment"], "joined_unit_on": "2007-01-01"})
        people.load_approved([(unit(BUDGET).pk, record)], approved_by=admin_user)
    with mock.patch.object(quality, "check_record", wraps=quality.check_record) as reading:
        assert run_checks(record_budget=2)["opened"] == 2 and reading.call_count == 2
        assert run_checks(record_budget=2)["opened"] == 1 and reading.call_count == 3  # the one left, then nothing to read
        assert run_checks(record_budget=2) == {"opened": 0, "resolved": 0} and reading.call_count == 3
    assert Finding.objects.filter(rule=Finding.Rule.RECORD_RULE, resolved_on__isnull=True).count() == 3
