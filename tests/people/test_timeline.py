"""A person's timeline: every unit, position, salary and status change with its date and decision (R-4.1)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from people import services
from people.models import Person
from people.timeline import timeline
from tests.people.conftest import PDF, RECORD, unit


def test_the_timeline_shows_units_positions_salary_and_status_with_their_decisions_R_4_1(person, hr, admin_user):
    change_set = services.edit_sections(hr, person, {
        "positions": [{"position": "PTP_SO", "unit_name": "Phòng Ngân sách", "appointed_on": "2020-03-01", "decision": "45/QĐ-STC"}],
        "salary_history": [*RECORD["salary_history"], {"from_date": "2011-09-01", "rank_code": "01.003", "step": 2, "coefficient": "2.67",
                                                       "decision": "12/QĐ-STC"}]})
    for section in ("positions", "salary_history"):
        services.attach_document(hr, change_set, section_name=section, upload=SimpleUploadedFile("qd.pdf", PDF + section.encode()))
    change_set = services.submit(hr, change_set)
    # The person works in the department's office from 1/3/2026 (the transfer itself is issue 6's next part).
    Person.objects.filter(pk=person.pk).update(unit=unit("000.01.01.H19"))
    services.make_version(admin_user, change_set, valid_from=datetime.date(2026, 3, 1))
    person.refresh_from_db()
    services.set_status(hr, person, status="on_leave", effective_on=datetime.date(2026, 4, 1), decision="77/QĐ-STC")
    with translation.override("en"):
        events = timeline(hr, person)
    assert [e.day for e in events] == sorted((e.day for e in events), reverse=True)
    text = [(e.day.isoformat(), e.kind, e.text, e.decision) for e in events]
    assert ("2026-04-01", "status", "Status: on leave", "77/QĐ-STC") in text
    assert ("2026-03-01", "unit", "In the unit Văn phòng Sở Tài chính", "") in text
    assert ("2025-01-01", "unit", "In the unit Phòng Ngân sách", "") in text
    assert any(e.kind == "position" and e.day == datetime.date(2020, 3, 1) and e.decision == "45/QĐ-STC" for e in events)
    assert ("2011-09-01", "salary", "Salary: rank 01.003, step 2, coefficient 2.67", "12/QĐ-STC") in text
    assert ("2008-09-01", "recruitment", "Recruited by Sở Tài chính tỉnh Đồng Nai", "") in text
    assert AuditEvent.objects.filter(actor=hr, action="people.read_sensitive").exists()  # salary is personal data


def test_the_timeline_page_and_api(client, person, hr, viewer):
    client.force_login(hr)
    page = client.get(reverse("people:timeline", args=[person.pk])).content.decode()
    assert "Phòng Ngân sách" in page and "2.34" in page
    assert client.get(f"/api/v1/people/{person.pk}/timeline").json()["items"][0]["kind"] in {"unit", "salary", "recruitment", "position", "status"}
    client.force_login(viewer)  # not cleared for salary: the salary history does not show
    assert not [e for e in client.get(f"/api/v1/people/{person.pk}/timeline").json()["items"] if e["kind"] == "salary"]
