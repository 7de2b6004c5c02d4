"""Every deadline of the regulation as an obligation with a due date and an owner, created when its trigger happens and
met when done (R-6.3, R-6.4, R-6.5, R-7.1, R-8.3), its reminders and escalation, and the calendar's overrides."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from accounts.services import create_personal_account
from approvals import services as approvals
from approvals.signing import SoftwareSigner
from common.errors import ServiceError
from compliance import services
from compliance.models import CalendarOverride, Obligation, Reminder
from compliance.reminders import send_reminders
from compliance.tasks import daily, schedule_daily
from compliance.workdays import add_working_days, is_working_day
from movements.arrivals import request_arrival
from people import services as people
from people.models import Person
from tests.conftest import KEY_PASSWORD, UserFactory
from tests.people.conftest import PDF, RECORD, unit

TODAY = timezone.localdate()
Kind = Obligation.Kind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def obligation(kind: str, person=None) -> Obligation:
    found = Obligation.objects.filter(kind=kind)
    return (found.filter(person=person) if person else found).get()


def new_record(hr) -> Person:
    person, _change_set = people.create_person(hr, unit=unit("000.02.01.H19"), sections={
        "identity": {**RECORD["identity"], "full_name": "Phạm Thị Lụa", "gender": "2", "birth_date": "1992-02-02", "citizen_id": "075192000321"},
        "employment": {**RECORD["employment"], "category": "CC"}})
    return person


def test_a_new_record_makes_the_account_due_in_five_working_days_then_the_persons_check_R_6_3_R_6_4(hr):
    person = new_record(hr)
    services.refresh()
    account_due = obligation(Kind.ACCOUNT, person)
    assert (account_due.due_on, account_due.state(TODAY), account_due.rule) == (add_working_days(TODAY, 5), "open", "R-6.3")
    # The department's HR officer keeps the office's records (in December, the department's annual report is due too).
    assert [task for task in services.my_tasks(hr) if task.person_id] == [account_due]
    account, _password = create_personal_account(hr, unit=unit("000.02.01.H19"), username="luapt", last_name="Phạm Thị",
                                                 first_name="Lụa", citizen_id="075192000321")
    people.link_account(person, account)
    services.refresh()
    account_due.refresh_from_db()
    check = obligation(Kind.FIRST_ENTRY, person)
    assert account_due.met_on == TODAY and account_due.state(TODAY) == "done"
    assert check.owner == account and check.due_on == add_working_days(TODAY, 5) and list(services.my_tasks(account)) == [check]


def test_the_persons_check_meets_the_first_entry_R_6_4(person):
    services.refresh()
    assert obligation(Kind.FIRST_ENTRY, person).met_on is None
    people.confirm_checked(person.account, person)
    services.refresh()
    assert obligation(Kind.FIRST_ENTRY, person).met_on == TODAY
    with pytest.raises(PermissionDenied):
        people.confirm_checked(UserFactory(username="khac"), person)


def test_changes_sent_back_are_due_again_within_five_working_days_R_6_5(person, head, head_key):
    account = person.account
    change_set = people.submit(account, people.edit_sections(account, person, {"contacts": {**RECORD["contacts"], "phone": "0911111111"}}))
    approvals.reject(head, change_set, reasons={"contacts.phone": "Số điện thoại không đúng"})
    services.refresh()
    correction = obligation(Kind.CORRECTION)
    assert (correction.owner, correction.person, correction.due_on) == (account, person, add_working_days(TODAY, 5))
    people.submit(account, change_set)
    services.refresh()
    correction.refresh_from_db()
    assert correction.met_on == TODAY


def test_a_unit_with_records_waiting_owes_the_months_approval_until_signed_R_7_1(person, head, head_key):
    services.refresh()
    approval = obligation(Kind.APPROVAL)
    assert approval.unit_id == person.unit_id and approval.due_on == services.month_end(TODAY) and approval.owner_kind == "head"
    assert approval in services.my_tasks(head)
    approvals.approve(head, [approvals.version_token(person.pk, 1)], SoftwareSigner(head_key, KEY_PASSWORD.encode()))
    services.refresh()
    approval.refresh_from_db()
    assert approval.met_on == TODAY


def test_refresh_is_idempotent_and_drops_what_a_departure_ends_R_8_5(hr, person):
    new_record(hr)
    first = services.refresh()
    assert first["created"] >= 3 and services.refresh() == {"created": 0, "updated": 0, "dropped": 0}
    people.set_status(hr, person, status="retired", effective_on=TODAY, decision="9/QĐ")
    assert services.refresh()["dropped"] == 1
    assert obligation(Kind.FIRST_ENTRY, person).state(TODAY) == "dropped"


def test_an_extra_day_off_moves_the_deadlines_running_over_it_R_6_3(hr, admin_user):
    person = new_record(hr)
    services.refresh()
    due = obligation(Kind.ACCOUNT, person).due_on
    day_off = next(TODAY + datetime.timedelta(days=n) for n in range(1, 10) if is_working_day(TODAY + datetime.timedelta(days=n)))
    services.set_override(admin_user, day=day_off, working=False, reason="Thông báo 123/TB-VPCP: nghỉ bù")
    assert not is_working_day(day_off)
    later = obligation(Kind.ACCOUNT, person).due_on
    assert later > due and add_working_days(TODAY, 5) == later
    assert services.refresh()["updated"] == 0  # the refresh counts on the same calendar


def test_bad_overrides_are_refused_and_change_nothing_R_6_3(hr, admin_user):
    new_record(hr)
    services.refresh()
    Obligation.objects.update(start_on=TODAY - datetime.timedelta(days=20), due_on=TODAY + datetime.timedelta(days=3))
    past_working_day = next(TODAY - datetime.timedelta(days=n) for n in range(2, 12) if is_working_day(TODAY - datetime.timedelta(days=n)))
    saturday = next(TODAY + datetime.timedelta(days=n) for n in range(1, 8) if (TODAY + datetime.timedelta(days=n)).weekday() == 5)
    cases = [({"day": past_working_day, "working": False, "reason": "Nghỉ"}, "day"),
             ({"day": saturday, "working": False, "reason": "Nghỉ"}, "working"),
             ({"day": saturday, "working": True, "reason": " "}, "reason"),
             ({"day": datetime.date(2099, 1, 1), "working": False, "reason": "Nghỉ"}, "day"),  # not an announced day
             ({"day": datetime.date(2026, 8, 22), "working": True, "reason": "Làm bù"}, "working")]  # swapped Saturday: worked by law
    for values, field in cases:
        with pytest.raises(ServiceError) as refused:
            services.set_override(admin_user, **values)
        assert refused.value.field == field
    with pytest.raises(PermissionDenied):
        services.set_override(hr, day=saturday, working=True, reason="Làm bù")
    assert not CalendarOverride.objects.exists()


def test_reminders_go_to_the_owner_then_the_head_then_the_body_above_each_once_R_6_4(hr, head, person, admin_user):
    person.account.email = "dung@dongnai.gov.vn"
    person.account.save()
    services.refresh()
    check = obligation(Kind.FIRST_ENTRY, person)
    calendar_day = check.due_on
    send_reminders(calendar_day)
    assert set(Reminder.objects.filter(obligation=check).values_list("user__username", "stage")) == {("dungnv", "due")}  # due today
    assert send_reminders(calendar_day) == 0 and len(mail.outbox) == 1  # a restarted job adds and e-mails nothing again
    assert "kiểm tra" in mail.outbox[0].body.lower()  # in the UI's language: check and complete one's record
    body_above = UserFactory(username="tccb.tinh", grant=("hr_officer", "000.00.00.H19"))
    late = add_working_days(calendar_day, 5)
    send_reminders(late)
    stages = set(Reminder.objects.filter(obligation=check).values_list("user__username", "stage"))
    assert {("dungnv", "overdue"), ("giamdoc", "head"), ("tccb", "body")} <= stages
    assert ("tccb.tinh", "body") not in stages  # the body directly above the office is Sở Tài chính, whose officer is tccb
    assert body_above.reminders.count() == 0


def test_the_tasks_deadlines_and_calendar_pages_R_6_3(client, hr, admin_user):
    person = new_record(hr)
    services.refresh()
    client.force_login(hr)
    with translation.override("vi"):
        tasks = client.get("/compliance/tasks/").content.decode()
        listed = client.get("/compliance/obligations/", {"kind": "account", "state": "open"}).content.decode()
    assert person.full_name in tasks and "R-6.3" in listed
    assert client.get("/compliance/obligations/", {"unit": "999.99.99.H19"}).status_code == 200  # a clear message, no crash
    assert client.post("/compliance/obligations/refresh/").status_code == 403
    assert client.post("/compliance/calendar/overrides/", {"day": "2027-01-02", "working": "1", "reason": "Làm bù"}).status_code == 403
    client.force_login(admin_user)
    page = client.get("/compliance/calendar/", {"year": 2026}).content.decode()
    assert "Lunar New Year" in page or "Tết" in page or "16/02/2026" in page
    saved = client.post("/compliance/calendar/overrides/", {"day": "2027-01-02", "working": "1", "reason": "Làm bù cho ngày 1/1"})
    assert saved.status_code == 302 and CalendarOverride.objects.get().working
    refused = client.post("/compliance/calendar/overrides/", {"day": "2027-01-04", "working": "1", "reason": "Làm"})
    assert refused.status_code == 400 and CalendarOverride.objects.count() == 1


def test_the_api_of_tasks_obligations_reminders_and_calendar_R_6_4(client, hr, admin_user, person):
    services.refresh()
    client.force_login(person.account)
    tasks = client.get("/api/v1/tasks").json()["items"]
    assert [t["kind"] for t in tasks] == ["first_entry"] and tasks[0]["state"] == "open"
    assert client.get("/api/v1/obligations").status_code == 403  # an employee sees their tasks, not the unit's
    client.force_login(hr)
    assert {o["kind"] for o in client.get("/api/v1/obligations", {"unit": "000.00.01.H19"}).json()["items"]} >= {"account", "approval"}
    assert client.get("/api/v1/obligations", {"state": "nonsense"}).status_code == 422
    client.force_login(admin_user)
    assert client.post("/api/v1/obligations/refresh").json() == {"created": 0, "updated": 0, "dropped": 0}
    made = client.post("/api/v1/calendar/overrides", {"day": "2027-01-02", "working": True, "reason": "Làm bù"}, content_type="application/json")
    assert made.status_code == 200
    year = client.get("/api/v1/calendar", {"year": 2027}).json()
    assert year["overrides"][0]["day"] == "2027-01-02" and any(h["day"] == "2027-01-01" for h in year["holidays"])
    assert client.delete(f"/api/v1/calendar/overrides/{made.json()['id']}").status_code == 204


def test_an_arrival_request_is_tracked_as_an_obligation_R_8_3(hr):
    arrival = request_arrival(hr, to_unit_id=unit("000.02.01.H19").pk, origin="ministry", origin_agency="Bộ Tài chính", full_name="Lê Thị Hoa",
                              birth_date=datetime.date(1990, 6, 1), citizen_id="079190012345", handover_on=TODAY - datetime.timedelta(days=30),
                              request_number="1/ĐN", request_date=TODAY, upload=SimpleUploadedFile("d.pdf", PDF))
    services.refresh()
    request = obligation(Kind.ARRIVAL_REQUEST)
    assert request.due_on == arrival.due_on and request.state(TODAY) == "late"


def test_the_nightly_run_is_scheduled_once_at_one_in_the_morning_R_6_3(db):
    assert schedule_daily() and not schedule_daily()
    waiting = DBTaskResult.objects.get(task_path="compliance.tasks.daily")
    assert timezone.localtime(waiting.run_after).time() == datetime.time(1, 0) and waiting.run_after > timezone.now()


def test_the_nightly_run_recomputes_counts_checks_and_comes_back_tomorrow_R_13_5(person):
    result = daily.call()
    assert result["created"] >= 2 and result["units"] >= 1 and "opened" in result
    assert DBTaskResult.objects.filter(task_path="compliance.tasks.daily", status="READY").count() == 1
