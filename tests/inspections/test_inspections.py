"""Inspections in a unit's scope and by Sở Nội vụ: findings, measures against the unit or a person, the unit's answer within
10 working days, the conclusion (R-14.4, R-16.5); who may record, answer, close and read them, and the audit of each."""

import datetime
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone, translation

from accounts.models import Role, RoleGrant
from audit.models import AuditEvent
from common.errors import ServiceError
from compliance.models import CalendarOverride
from compliance.workdays import add_working_days
from inspections import services
from inspections.demo import seed_demo_inspection
from inspections.models import Inspection, InspectionAnswer, Measure
from tests.conftest import UserFactory
from tests.people.conftest import unit

TODAY = timezone.localdate()
FINANCE, BUDGET, FINANCE_OFFICE, PLANNING = "000.00.01.H19", "000.02.01.H19", "000.01.01.H19", "000.00.02.H19"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def inspector(small_tree):
    """The inspector of Sở Nội vụ over the province."""
    return UserFactory(username="thanhtra", email="thanhtra@example.vn", grant=("inspector", "000.00.00.H19"))


def record(actor, code=FINANCE, **changes) -> Inspection:
    values = {"unit_id": unit(code).pk, "area": "updating", "inspected_on": TODAY, "findings": "Ba hồ sơ chưa cập nhật quá trình đào tạo.",
              "measures": ["Cập nhật ba hồ sơ trong tháng.", "Báo cáo kết quả cho Sở Nội vụ."]}
    return services.record_inspection(actor, **{**values, **changes})


def events(action: str, outcome: str = "ok"):
    return AuditEvent.objects.filter(action=action, outcome=outcome)


def test_an_inspector_records_findings_and_measures_and_the_unit_answers_R_16_5(inspector, hr, head, django_capture_on_commit_callbacks):
    hr.email, head.email = "tccb@example.vn", "giamdoc@example.vn"
    hr.save(), head.save()
    with django_capture_on_commit_callbacks(execute=True):
        inspection = record(inspector, findings="  Hồ sơ chưa cập nhật  ")
    assert (inspection.state, inspection.findings, inspection.recorded_by, inspection.unit) == ("open", "Hồ sơ chưa cập nhật", inspector, unit(FINANCE))
    first, second = inspection.measures.all()
    assert (first.text, first.target, first.position, second.position) == ("Cập nhật ba hồ sơ trong tháng.", "unit", 1, 2)
    assert inspection.answer_due_on == add_working_days(TODAY, 10)
    # The unit's answerers are told, the findings are not in the e-mail.
    assert sorted(address for message in mail.outbox for address in message.to) == ["giamdoc@example.vn", "tccb@example.vn"]
    assert f"/inspections/{inspection.pk}/" in mail.outbox[0].body and "Hồ sơ chưa cập nhật" not in mail.outbox[0].body
    assert events("inspections.record").get().details["measures"] == 2

    given = services.answer(hr, inspection, text="Đã cập nhật ba hồ sơ.", measures_done=[first.pk])
    inspection.refresh_from_db()
    first.refresh_from_db()
    assert (inspection.state, first.done_on, given.measures_done, given.author) == ("answered", TODAY, [first.pk], hr)
    assert inspection.answered_at is not None
    assert events("inspections.answer").get().details == {"answer_id": given.pk, "measures_done": [first.pk], "newly_done": 1, "late": False}

    services.close(inspector, inspection, conclusion="Đơn vị đã khắc phục một phần.")
    inspection.refresh_from_db()
    assert (inspection.state, inspection.conclusion, inspection.closed_by) == ("closed", "Đơn vị đã khắc phục một phần.", inspector)
    assert events("inspections.close").get().details == {"answered": True, "measures_not_done": 1}


def test_a_head_inspects_a_unit_under_it_but_not_a_sibling_R_14_4(head):
    inspection = record(head, BUDGET)
    assert inspection.unit == unit(BUDGET)
    with pytest.raises(PermissionDenied):
        record(head, PLANNING)
    assert Inspection.objects.count() == 1
    assert events("inspections.record", "refused").get().unit_id == unit(PLANNING).pk


def test_the_hr_officer_answers_but_does_not_record_inspections_R_14_4(hr, admin_user):
    with pytest.raises(PermissionDenied):
        record(hr, BUDGET)
    inspection = record(admin_user, BUDGET)
    services.answer(hr, inspection, text="Đã cập nhật.")  # the department's officer answers for its office
    with pytest.raises(PermissionDenied):
        services.close(hr, inspection, conclusion="Xong.")
    assert events("inspections.close", "refused").exists()


def test_findings_against_a_person_outside_the_unit_are_refused_R_14_4(admin_user, person):
    with pytest.raises(ServiceError) as refused:
        record(admin_user, FINANCE_OFFICE, person_id=person.pk)
    assert refused.value.field == "person" and f"no. {person.pk}" in refused.value.message
    with pytest.raises(ServiceError) as refused:
        record(admin_user, FINANCE, person_id=999999)
    assert refused.value.field == "person"
    assert Inspection.objects.count() == 0
    inspection = record(admin_user, FINANCE, person_id=person.pk, measures=["Nhắc nhở cập nhật hồ sơ.", ("Rà soát việc giao nhiệm vụ.", "unit")])
    assert inspection.person == person  # Phòng Ngân sách is under Sở Tài chính
    assert list(inspection.measures.values_list("target", flat=True)) == ["person", "unit"]


def test_an_inspection_without_measures_is_refused_and_nothing_stored_R_14_4(inspector):
    with pytest.raises(ServiceError) as refused:
        record(inspector, measures=["", "   "])
    assert refused.value.field == "measures" and refused.value.message.startswith("Measures:")
    assert (Inspection.objects.count(), Measure.objects.count()) == (0, 0)
    assert events("inspections.record", "refused").get().details["reason"] == refused.value.message


@pytest.mark.parametrize(("changes", "field", "start"), [
    ({"findings": "   "}, "findings", "Findings: write what the inspection found."),
    ({"inspected_on": TODAY + datetime.timedelta(days=1)}, "inspected_on", "Inspected on:"),
    ({"area": "payroll"}, "area", "Area:"),
    ({"measures": [("Kỷ luật.", "person")]}, "measures", "Measures:"),  # no person named
])
def test_refused_input_names_the_field_and_stores_nothing_R_14_4(inspector, changes, field, start):
    with pytest.raises(ServiceError) as refused:
        record(inspector, **changes)
    assert refused.value.field == field and refused.value.message.startswith(start)
    assert Inspection.objects.count() == 0


def test_the_answer_is_due_in_ten_working_days_of_the_calendar_R_16_5(inspector, admin_user):
    plain = add_working_days(TODAY, 10)
    assert (plain - TODAY).days >= 14  # two weekends at least
    # An extra day off announced inside the period moves the due date one working day later.
    CalendarOverride.objects.create(day=add_working_days(TODAY, 1), working=False, reason="Nghỉ thêm", created_by=admin_user)
    due = record(inspector).answer_due_on
    assert due == add_working_days(TODAY, 10) > plain


def test_answers_come_from_the_inspected_unit_and_stop_when_closed_R_16_5(inspector, hr, viewer):
    inspection = record(inspector)
    other = record(inspector, PLANNING)
    with pytest.raises(PermissionDenied):
        services.answer(viewer, inspection, text="Đã xem.")  # reads, answers nothing
    with pytest.raises(ServiceError) as refused:
        services.answer(hr, inspection, text="  ")
    assert refused.value.field == "text"
    with pytest.raises(ServiceError) as refused:
        services.answer(hr, inspection, text="Xong.", measures_done=[other.measures.first().pk])
    assert refused.value.field == "measures_done"
    assert InspectionAnswer.objects.count() == 0 and Inspection.objects.get(pk=inspection.pk).state == "open"
    services.answer(hr, inspection, text="Đã cập nhật.")
    services.close(inspector, inspection, conclusion="Đạt.")
    with pytest.raises(ServiceError) as refused:
        services.answer(hr, inspection, text="Bổ sung.")
    assert refused.value.field == "text" and "closed" in refused.value.message
    with pytest.raises(ServiceError):
        services.close(inspector, inspection, conclusion="Lần hai.")


def test_an_unanswered_inspection_closes_only_after_its_due_date_R_16_5(inspector):
    inspection = record(inspector)
    with pytest.raises(ServiceError) as refused:
        services.close(inspector, inspection, conclusion="Đơn vị không trả lời.")
    assert refused.value.field == "conclusion"
    Inspection.objects.filter(pk=inspection.pk).update(answer_due_on=TODAY - datetime.timedelta(days=1))
    inspection.refresh_from_db()
    assert inspection.is_overdue()
    services.close(inspector, inspection, conclusion="Đơn vị không trả lời.")
    assert Inspection.objects.get(pk=inspection.pk).state == "closed"
    assert events("inspections.close").get().details["answered"] is False


def test_inspections_are_seen_in_scope_and_the_persons_name_only_by_readers_of_records_R_14_4(admin_user, hr, person):
    inspection = record(admin_user, FINANCE, person_id=person.pk)
    planning = UserFactory(username="khdt", grant=("leader_viewer", PLANNING))
    assert list(services.visible(hr)) == [inspection] and list(services.visible(planning)) == []
    with pytest.raises(PermissionDenied):
        services.get_visible(planning, inspection.pk)
    with pytest.raises(Http404):
        services.get_visible(hr, inspection.pk + 100)
    # The head of Sở Tài chính itself only (not the offices under it) reads the inspection, not the person's record.
    narrow = UserFactory(username="narrow")
    RoleGrant.objects.create(user=narrow, role=Role.objects.get(code="unit_head"), unit=unit(FINANCE), include_subtree=False,
                             valid_from=datetime.date(2025, 1, 1))
    found = services.get_visible(hr, inspection.pk)
    assert services.read(hr, found) == person.full_name
    assert services.read(narrow, services.get_visible(narrow, inspection.pk)) is None
    assert [event.details["name_shown"] for event in events("inspections.read").order_by("pk")] == [True, False]


def test_the_answerers_of_an_office_are_those_of_the_department_above_it_R_14_4(admin_user, hr, head, django_capture_on_commit_callbacks):
    hr.email = "tccb@example.vn"
    hr.save()
    assert services.answerers(unit(BUDGET).pk) == {hr.pk, head.pk}
    with django_capture_on_commit_callbacks(execute=True):
        record(head, BUDGET)
    assert [message.to for message in mail.outbox] == [["tccb@example.vn"]]  # not the head who recorded it


def test_the_demo_records_one_open_inspection_R_16_5(inspector):
    inspection = seed_demo_inspection(inspector, unit(FINANCE).pk)
    assert (inspection.state, inspection.measures.count()) == ("open", 2)


# ---- pages ----

def test_the_pages_record_answer_and_close_and_bad_input_stays_on_the_form_R_14_4(client, inspector, hr):
    client.force_login(inspector)
    assert client.get("/inspections/new/").status_code == 200
    form = {"unit": FINANCE, "person": "", "area": "approval", "inspected_on": TODAY.isoformat(), "findings": "",
            "measures": "Ký duyệt đúng hạn\n\nBáo cáo kết quả"}
    response = client.post("/inspections/new/", form)
    assert response.status_code == 400 and response.context["form"].errors["findings"]
    response = client.post("/inspections/new/", {**form, "findings": "Chậm phê duyệt", "unit": "999.99.99.H19"})
    assert response.status_code == 400 and response.context["form"].errors["unit"]
    response = client.post("/inspections/new/", {**form, "findings": "Chậm phê duyệt", "person": "abc"})
    assert response.status_code == 400 and response.context["form"].errors["person"]
    assert Inspection.objects.count() == 0
    response = client.post("/inspections/new/", {**form, "findings": "Chậm phê duyệt"})
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == f"/inspections/{inspection.pk}/"
    assert list(inspection.measures.values_list("text", flat=True)) == ["Ký duyệt đúng hạn", "Báo cáo kết quả"]

    client.force_login(hr)
    page = client.get("/inspections/", {"unit": FINANCE, "state": "open"})
    assert page.status_code == 200 and [row["inspection"] for row in page.context["rows"]] == [inspection]
    assert "Chậm phê duyệt" in client.get(f"/inspections/{inspection.pk}/").content.decode()
    response = client.post(f"/inspections/{inspection.pk}/answer/", {"text": ""})
    assert response.status_code == 400 and response.context["answer_form"].errors["text"]
    first = inspection.measures.first()
    assert client.post(f"/inspections/{inspection.pk}/answer/", {"text": "Đã ký", "measures_done": [first.pk]}).status_code == 302
    assert client.post(f"/inspections/{inspection.pk}/close/", {"conclusion": "Đạt"}).status_code == 403

    client.force_login(inspector)
    assert client.post(f"/inspections/{inspection.pk}/close/", {"conclusion": ""}).status_code == 400
    assert client.post(f"/inspections/{inspection.pk}/close/", {"conclusion": "Đạt yêu cầu"}).status_code == 302
    inspection.refresh_from_db()
    assert (inspection.state, inspection.conclusion) == ("closed", "Đạt yêu cầu")


def test_the_list_marks_overdue_answers_and_the_menu_shows_to_those_who_see_inspections_R_14_4(client, inspector, hr, person):
    inspection = record(inspector)
    Inspection.objects.filter(pk=inspection.pk).update(answer_due_on=TODAY - datetime.timedelta(days=2))
    client.force_login(hr)
    page = client.get("/inspections/", {"state": "overdue"})
    assert [row["overdue"] for row in page.context["rows"]] == [True]
    assert 'href="/inspections/"' in page.content.decode()
    assert client.get("/inspections/", {"state": "closed"}).context["rows"] == []
    client.force_login(person.account)  # an employee
    assert client.get("/inspections/").status_code == 403
    assert 'href="/inspections/"' not in client.get("/people/me/", follow=True).content.decode()


# ---- API ----

def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_records_lists_answers_and_closes_R_16_5(client, inspector, hr, person):
    client.force_login(inspector)
    body = {"unit": FINANCE, "person_id": person.pk, "area": "use", "inspected_on": TODAY.isoformat(), "findings": "Khai thác dữ liệu sai mục đích",
            "measures": ["Nhắc nhở", {"text": "Rà soát phân quyền", "target": "unit"}]}
    created = post(client, "/api/v1/inspections", body)
    assert created.status_code == 200, created.content
    data = created.json()
    assert (data["state"], data["person_name"], data["unit_code"], data["answer_due_on"]) == ("open", person.full_name, FINANCE,
                                                                                            add_working_days(TODAY, 10).isoformat())
    assert [(m["text"], m["target"]) for m in data["measures"]] == [("Nhắc nhở", "person"), ("Rà soát phân quyền", "unit")]
    bad = post(client, "/api/v1/inspections", {**body, "measures": []})
    assert bad.status_code == 400 and bad.json()["field"] == "measures"
    assert post(client, "/api/v1/inspections", {**body, "unit": "nope"}).json()["field"] == "unit"

    client.force_login(hr)
    listed = client.get("/api/v1/inspections", {"unit": FINANCE, "area": "use"}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == data["id"]
    assert client.get("/api/v1/inspections", {"state": "closed"}).json()["count"] == 0
    assert post(client, "/api/v1/inspections", body).status_code == 403
    answered = post(client, f"/api/v1/inspections/{data['id']}/answer", {"text": "Đã rà soát", "measures_done": [data["measures"][1]["id"]]})
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    assert answered.json()["answers"][0]["text"] == "Đã rà soát" and answered.json()["measures"][1]["done_on"] == TODAY.isoformat()
    assert post(client, f"/api/v1/inspections/{data['id']}/close", {"conclusion": "Đạt"}).status_code == 403

    client.force_login(inspector)
    closed = post(client, f"/api/v1/inspections/{data['id']}/close", {"conclusion": "Đạt"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert client.get(f"/api/v1/inspections/{data['id'] + 100}").status_code == 404
    assert events("inspections.read").count() >= 3  # every answer naming the person is a read


def test_the_api_refuses_inspections_outside_the_scope_R_14_4(client, inspector, hr):
    planning = record(inspector, PLANNING)
    client.force_login(hr)
    assert client.get(f"/api/v1/inspections/{planning.pk}").status_code == 403
    assert post(client, f"/api/v1/inspections/{planning.pk}/answer", {"text": "x"}).status_code == 403
    assert client.get("/api/v1/inspections").json()["count"] == 0


def test_the_units_answer_is_an_obligation_in_its_tasks_met_by_answering_R_14_4(inspector, hr, django_capture_on_commit_callbacks):
    from compliance import services as compliance
    from compliance.models import Obligation

    with django_capture_on_commit_callbacks(execute=True):
        inspection = record(inspector)
    owed = Obligation.objects.get(key=f"inspection_answer:{inspection.pk}")
    assert (owed.unit_id, owed.due_on, owed.met_on, owed.rule) == (unit(FINANCE).pk, inspection.answer_due_on, None, "R-14.4")
    assert owed in compliance.my_tasks(hr)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer(hr, inspection, text="Đã cập nhật ba hồ sơ.")
    owed.refresh_from_db()
    assert owed.met_on == TODAY and owed not in compliance.my_tasks(hr)
    compliance.refresh()
    owed.refresh_from_db()
    assert owed.met_on == TODAY  # the nightly recount finds the same
