"""Reads of someone else's sensitive fields carry the purpose the reader chose, when the configuration asks for one (R-4.2)."""

import pytest
from django.urls import reverse

from accounts.services import create_token
from audit.models import AuditEvent
from tests.people.conftest import RECORD

PURPOSES = ["Kiểm tra hồ sơ định kỳ", "Giải quyết chế độ chính sách"]


@pytest.fixture
def asked(settings):
    settings.AUDIT_READ_PURPOSES = PURPOSES


def _purposes():
    return [event.details.get("purpose") for event in AuditEvent.objects.filter(action="people.read_sensitive").order_by("pk")]


def test_the_record_page_asks_why_then_keeps_the_purpose_in_the_audit_R_4_2(client, person, admin_user, asked):
    client.force_login(admin_user)
    page = client.get(reverse("people:detail", args=[person.pk]), {"version": "1"}).content.decode()
    assert 'id="purpose-form"' in page and PURPOSES[1] in page and RECORD["identity"]["citizen_id"] not in page and _purposes() == []
    chosen = client.get(reverse("people:detail", args=[person.pk]), {"version": "1", "purpose": PURPOSES[1]})
    assert 'id="purpose-form"' not in chosen.content.decode() and _purposes() == [PURPOSES[1]]
    client.get(reverse("people:detail", args=[person.pk]))  # remembered for the session
    assert _purposes() == [PURPOSES[1], PURPOSES[1]]
    client.force_login(person.account)
    assert PURPOSES[1] in client.get(reverse("people:me_access")).content.decode()  # the person sees why their record was read


def test_the_api_refuses_a_sensitive_read_without_a_purpose_R_4_2(client, person, admin_user, asked):
    _token, raw = create_token(admin_user, name="agency", scopes=[], days=1)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    refused = client.get(f"/api/v1/people/{person.pk}", **headers)
    assert refused.status_code == 403 and PURPOSES[0] in refused.json()["detail"]
    read = client.get(f"/api/v1/people/{person.pk}", {"purpose": PURPOSES[0]}, **headers)
    assert read.status_code == 200 and _purposes() == [PURPOSES[0]]


def test_the_person_reads_their_own_record_without_a_purpose_and_nobody_is_asked_by_default_R_4_2(client, person, admin_user, settings):
    client.force_login(person.account)
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 200
    settings.AUDIT_READ_PURPOSES = []
    client.force_login(admin_user)
    assert 'id="purpose-form"' not in client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert _purposes() == [None]
