"""Problems are reported to Sở Nội vụ in writing: anyone files a report with scans, Sở Nội vụ answers it, and it is tracked
from new to closed (R-19.5); the reporter and the handlers of the reporter's unit see it, nobody else."""

import json

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from audit.models import AuditEvent
from common.errors import ServiceError
from people.models import Document
from problems import services
from problems.demo import seed_demo_problem
from problems.models import ProblemAttachment, ProblemMessage, ProblemReport
from tests.conftest import UserFactory
from tests.people.conftest import PDF, unit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
OFFICE = "000.02.01.H19"  # Phòng Ngân sách, under Sở Tài chính


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def employee(person):
    """The person's personal account, of Phòng Ngân sách, with an e-mail address."""
    account = person.account
    account.unit, account.email = unit(OFFICE), "dung@example.vn"
    account.save(update_fields=["unit", "email"])
    return account


@pytest.fixture
def sonoivu(admin_user):
    admin_user.email = "sonoivu@example.vn"
    admin_user.save(update_fields=["email"])
    return admin_user


def scan(name="scan.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


def filed(user, **extra):
    values = {"category": "data", "subject": "Sai ngày sinh", "description": "Hồ sơ ghi 01/01/1985, đúng là 10/01/1985.", **extra}
    return services.file_report(user, **values)


def nothing_stored():
    return ProblemReport.objects.count() == ProblemMessage.objects.count() == ProblemAttachment.objects.count() == Document.objects.count() == 0


def test_an_employee_files_a_problem_with_a_scan_and_sodnoivu_answers_it_R_19_5(employee, sonoivu, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = filed(employee, uploads=[scan("giay-khai-sinh.pdf")])
    assert (report.state, report.unit_id, report.reporter) == ("new", unit(OFFICE).pk, employee)
    opening = report.messages.get()
    assert opening.text == report.description and opening.attachments.get().file_name == "giay-khai-sinh.pdf"
    assert [m.to for m in mail.outbox] == [["sonoivu@example.vn"]] and "Sai ngày sinh" in mail.outbox[0].subject
    assert list(services.visible_reports(sonoivu)) == [report] and services.get_visible(sonoivu, report.pk) == report

    with django_capture_on_commit_callbacks(execute=True):
        answer = services.reply(sonoivu, report, text="Anh/chị sửa mục Lý lịch và đính kèm giấy khai sinh.")
    report.refresh_from_db()
    assert report.state == "answered" and answer.author == sonoivu
    assert mail.outbox[-1].to == ["dung@example.vn"] and "Anh/chị sửa mục Lý lịch" in mail.outbox[-1].body
    assert f"{settings.PUBLIC_URL}/problems/{report.pk}/" in mail.outbox[-1].body

    services.reply(employee, report, text="Tôi đã sửa, nhờ Sở xem lại.", uploads=[scan("anh.png", PNG)])
    report.refresh_from_db()
    assert report.state == "in_progress"  # the reporter's addition takes it back in hand
    services.set_state(sonoivu, report, "closed")
    report.refresh_from_db()
    assert report.state == "closed" and report.closed_at is not None
    assert [m.text[:7] for m in services.conversation(employee, report)] == ["Hồ sơ g", "Anh/chị", "Tôi đã "]


def test_a_problem_without_subject_is_refused_and_nothing_stored_R_19_5(employee):
    with pytest.raises(ServiceError) as refused:
        filed(employee, subject="   ", uploads=[scan()])
    assert refused.value.field == "subject" and refused.value.message.startswith("Subject:")
    assert nothing_stored()
    refusal = AuditEvent.objects.get(action="problems.file")
    assert refusal.outcome == "refused" and refusal.details["reason"].startswith("Subject:")


def test_an_attachment_that_is_not_pdf_jpeg_or_png_is_refused_naming_the_field_R_19_5(employee):
    with pytest.raises(ServiceError) as refused:
        filed(employee, uploads=[scan(), scan("virus.pdf", b"MZ\x90\x00 not a scan at all")])
    assert refused.value.field == "files" and refused.value.message.startswith("File:")
    assert ProblemReport.objects.count() == ProblemMessage.objects.count() == ProblemAttachment.objects.count() == Document.objects.count() == 0


@pytest.mark.parametrize(("extra", "field"), [
    ({"category": "complaint"}, "category"),
    ({"subject": "x" * 201}, "subject"),
    ({"description": ""}, "description"),
    ({"description": "x" * 10_001}, "description"),
    ({"uploads": [scan(f"{n}.pdf", PDF + bytes([n])) for n in range(11)]}, "files"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_stored_R_19_5(employee, extra, field):
    with pytest.raises(ServiceError) as refused:
        filed(employee, **extra)
    assert refused.value.field == field and ":" in refused.value.message
    assert nothing_stored()


def test_an_other_users_problem_is_not_visible_R_19_5(employee, client):
    report = filed(employee, uploads=[scan()])
    colleague = UserFactory(username="colleague", unit=unit(OFFICE), grant=("hr_officer", "000.00.01.H19"))
    assert list(services.visible_reports(colleague)) == []
    with pytest.raises(PermissionDenied):
        services.get_visible(colleague, report.pk)
    with pytest.raises(PermissionDenied):
        services.reply(colleague, report, text="Tôi xem giúp.")
    with pytest.raises(PermissionDenied):
        services.set_state(colleague, report, "closed")
    assert AuditEvent.objects.filter(action__in=["problems.reply", "problems.state"], outcome="refused").count() == 2
    client.force_login(colleague)
    attachment = ProblemAttachment.objects.get()
    for url in (f"/problems/{report.pk}/", f"/problems/{report.pk}/attachments/{attachment.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/problems/{report.pk}/reply/", {"text": "x"}).status_code == 403
    assert client.get("/api/v1/problems").json()["items"] == []
    assert client.get(f"/api/v1/problems/{report.pk}").status_code == 403
    assert client.get("/api/v1/problems/999999").status_code == 404
    assert ProblemMessage.objects.count() == 1


def test_a_handler_outside_scope_does_not_see_it_R_19_5(employee):
    report = filed(employee)
    planning = UserFactory(username="snv-khdt", grant=("doha_admin", "000.00.02.H19"))
    assert list(services.visible_reports(planning)) == [] and planning not in services.handlers(report)
    with pytest.raises(PermissionDenied):
        services.get_visible(planning, report.pk)
    with pytest.raises(PermissionDenied):
        services.set_state(planning, report, "in_progress")
    finance = UserFactory(username="snv-tc", grant=("doha_admin", "000.00.01.H19"))
    assert services.get_visible(finance, report.pk) == report and finance in services.handlers(report)


def test_states_move_only_as_the_rules_say_R_19_5(employee, sonoivu):
    report = filed(employee)
    with pytest.raises(PermissionDenied):
        services.set_state(employee, report, "in_progress")  # only handlers take a report in hand
    with pytest.raises(ServiceError) as refused:
        services.set_state(sonoivu, report, "answered")
    assert refused.value.field == "state"
    with pytest.raises(ServiceError):
        services.set_state(sonoivu, report, "new")
    with pytest.raises(ServiceError):
        services.set_state(sonoivu, report, "solved")
    services.set_state(sonoivu, report, "in_progress")
    services.set_state(employee, report, "closed")  # the reporter closes their own
    report.refresh_from_db()
    assert report.state == "closed" and report.closed_at
    with pytest.raises(ServiceError) as refused:
        services.reply(sonoivu, report, text="Trả lời muộn.")  # answering a closed report
    assert refused.value.field == "state" and report.messages.count() == 1
    with pytest.raises(ServiceError):
        services.reply(employee, report, text="   ")
    services.set_state(sonoivu, report, "in_progress")  # reopened
    report.refresh_from_db()
    assert report.state == "in_progress" and report.closed_at is None


def test_internal_notes_are_for_handlers_only_R_19_5(employee, sonoivu, django_capture_on_commit_callbacks):
    report = filed(employee)
    with pytest.raises(PermissionDenied):
        services.reply(employee, report, text="Ghi chú", internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(sonoivu, report, text="Chuyển bộ phận kỹ thuật xem.", internal=True)
    report.refresh_from_db()
    assert report.state == "new" and mail.outbox == []
    assert services.conversation(employee, report).count() == 1 and services.conversation(sonoivu, report).count() == 2


def test_every_write_is_audited_with_the_unit_R_19_5(employee, sonoivu):
    report = filed(employee, uploads=[scan()])
    services.reply(sonoivu, report, text="Đã sửa.")
    services.set_state(sonoivu, report, "closed")
    events = list(AuditEvent.objects.filter(action__startswith="problems.").order_by("pk"))
    assert [(e.action, e.outcome, e.unit_id, e.object_id) for e in events] == [
        ("problems.file", "ok", report.unit_id, str(report.pk)), ("problems.reply", "ok", report.unit_id, str(report.pk)),
        ("problems.state", "ok", report.unit_id, str(report.pk))]
    assert events[0].details["attachments"] == [Document.objects.get().sha256]
    assert (events[1].details["from"], events[1].details["to"]) == ("new", "answered")
    assert events[2].details == {"from": "answered", "to": "closed"}


def test_the_pages_file_a_problem_with_several_files_answer_and_download_R_19_5(client, employee, sonoivu):
    client.force_login(employee)
    assert client.get("/problems/new/").status_code == 200
    refused = client.post("/problems/new/", {"category": "software", "subject": "", "description": "Không in được", "files": [scan()]})
    assert refused.status_code == 400 and "subject" in refused.context["form"].errors and nothing_stored()
    bad = client.post("/problems/new/", {"category": "software", "subject": "Không in", "description": "Lỗi", "files": [scan("a.txt", b"text")]})
    assert bad.status_code == 400 and "files" in bad.context["form"].errors and nothing_stored()
    response = client.post("/problems/new/", {"category": "software", "subject": "Không in được hồ sơ", "description": "Bấm In thì báo lỗi.",
                                              "files": [scan("loi.pdf"), scan("man-hinh.png", PNG)]})
    report = ProblemReport.objects.get()
    assert response.status_code == 302 and response.url == f"/problems/{report.pk}/"
    page = client.get(response.url)
    assert "Không in được hồ sơ" in page.content.decode() and "man-hinh.png" in page.content.decode()
    attachment = ProblemAttachment.objects.get(file_name="loi.pdf")
    download = client.get(f"/problems/{report.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and download.content == PDF and download["Content-Type"] == "application/pdf"
    assert "Không in được hồ sơ" in client.get("/problems/").content.decode()

    client.force_login(sonoivu)
    assert client.post(f"/problems/{report.pk}/reply/", {"text": ""}).status_code == 400
    assert client.post(f"/problems/{report.pk}/reply/", {"text": "Đã sửa, mời thử lại."}).status_code == 302
    assert client.post(f"/problems/{report.pk}/state/", {"state": "answered"}).status_code == 400
    assert client.post(f"/problems/{report.pk}/state/", {"state": "closed"}).status_code == 302
    report.refresh_from_db()
    assert report.state == "closed"
    assert client.get("/problems/", {"state": "closed"}).context["page"].object_list == [report]
    assert list(client.get("/problems/", {"state": "new"}).context["page"].object_list) == []


def test_the_api_files_answers_and_closes_a_problem_R_19_5(client, employee, sonoivu):
    client.force_login(employee)
    bad = client.post("/api/v1/problems", {"category": "nope", "subject": "S", "description": "D"})
    assert bad.status_code == 400 and bad.json()["field"] == "category"
    not_scan = client.post("/api/v1/problems", {"category": "other", "subject": "S", "description": "D", "files": [scan("x.pdf", b"hello")]})
    assert not_scan.status_code == 400 and not_scan.json()["field"] == "files" and nothing_stored()
    created = client.post("/api/v1/problems", {"category": "access", "subject": "Không đăng nhập được", "description": "Báo khóa tài khoản.",
                                               "files": [scan(), scan("b.png", PNG)]})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "new" and body["unit_id"] == unit(OFFICE).pk and len(body["messages"][0]["attachments"]) == 2
    assert body["allowed_states"] == ["closed"]
    problem_id = body["id"]
    assert [p["id"] for p in client.get("/api/v1/problems").json()["items"]] == [problem_id]

    client.force_login(sonoivu)
    assert client.get("/api/v1/problems", {"state": "new"}).json()["count"] == 1
    answer = client.post(f"/api/v1/problems/{problem_id}/messages", {"text": "Đã mở khóa.", "files": [scan("qd.pdf", PDF + b"1")]})
    assert answer.status_code == 201 and answer.json()["attachments"][0]["file_name"] == "qd.pdf"
    assert client.get(f"/api/v1/problems/{problem_id}").json()["state"] == "answered"
    state = client.post(f"/api/v1/problems/{problem_id}/state", json.dumps({"state": "answered"}), content_type="application/json")
    assert state.status_code == 400 and state.json()["field"] == "state"
    closed = client.post(f"/api/v1/problems/{problem_id}/state", json.dumps({"state": "closed"}), content_type="application/json")
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert client.post(f"/api/v1/problems/{problem_id}/messages", {"text": "Thêm"}).status_code == 400


def test_the_demo_problem_is_filed_and_answered_R_19_5(employee, sonoivu):
    report = seed_demo_problem(employee)
    assert report.state == "answered" and report.messages.count() == 2 and ProblemAttachment.objects.count() == 1
