"""The API for agencies' systems (R-18.2, R-18.4): rate limits per token, ETags with 304, pages, and the listings the agencies need."""


from types import SimpleNamespace

import pytest

from accounts.services import create_token
from audit.models import AuditEvent
from people.models import ChangeSet
from tests.conftest import UserFactory


def _bearer(user, scopes=()):
    _token, raw = create_token(user, name="agency", scopes=list(scopes), days=30)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def one_minute(monkeypatch):
    """The counters' window is the clock's minute: hold the clock at 10:00:20 so no test straddles two windows."""
    monkeypatch.setattr("common.ratelimit.time", SimpleNamespace(time=lambda: 1_796_205_620.0))


def test_a_token_over_its_rate_limit_waits_and_others_go_on_R_18_2(client, admin_user, settings, one_minute):
    settings.API_RATE_LIMIT = 3
    first, second = _bearer(admin_user), _bearer(UserFactory(grant=("doha_admin", "000.00.00.H19")))
    assert [client.get("/api/v1/units", **first).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/units", **first)
    assert refused.status_code == 429 and refused["Retry-After"] == "40"
    assert "giây" in refused.json()["detail"]
    assert client.get("/api/v1/units", **second).status_code == 200
    assert AuditEvent.objects.filter(action="api.rate_limited").count() == 1  # once per window, not once per refusal


def test_guessing_tokens_from_one_address_is_stopped_R_18_2(client, small_tree, settings, one_minute):
    settings.API_RATE_LIMIT_SENSITIVE = 2
    wrong = [client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer cb_guess{n}").status_code for n in range(3)]
    assert wrong == [401, 401, 429]


def test_an_unchanged_answer_is_not_sent_again_R_18_4(client, admin_user, person):
    headers = _bearer(admin_user)
    first = client.get(f"/api/v1/people/{person.pk}/versions", **headers)
    assert first.status_code == 200 and first["ETag"] and "private" in first["Cache-Control"]
    again = client.get(f"/api/v1/people/{person.pk}/versions", HTTP_IF_NONE_MATCH=first["ETag"], **headers)
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/units", HTTP_IF_NONE_MATCH=first["ETag"], **headers)
    assert other.status_code == 200


def test_lists_come_in_pages_R_18_4(client, admin_user, person):
    headers = _bearer(admin_user)
    page = client.get("/api/v1/units?limit=2&offset=1", **headers).json()
    assert page["count"] == 9 and len(page["items"]) == 2
    assert client.get("/api/v1/units?limit=0", **headers).status_code == 422
    assert client.get(f"/api/v1/people/{person.pk}/versions", **headers).json()["count"] == 1


def test_agencies_read_change_sets_and_approval_status_of_their_units_only_R_18_4(client, hr, person):
    from people.services import approved_record, edit_sections

    edit_sections(hr, person, {"contacts": {**approved_record(person)["contacts"], "phone": "0987654321"}})
    own = _bearer(hr)
    found = client.get("/api/v1/change-sets", **own).json()
    assert [(row["person_id"], row["state"]) for row in found["items"]] == [(person.pk, ChangeSet.State.DRAFT)]
    status = client.get(f"/api/v1/units/{person.unit_id}/approval-status", **own).json()
    assert status["working"] == 1 and status["drafts"] == 1 and status["unsigned"] == 1
    stranger = _bearer(UserFactory(grant=("hr_officer", "000.00.02.H19")))
    assert client.get("/api/v1/change-sets", **stranger).json()["items"] == []
    assert client.get(f"/api/v1/units/{person.unit_id}/approval-status", **stranger).status_code == 403


def test_the_openapi_document_is_public_and_declares_the_layers_R_18_4(client, small_tree):
    document = client.get("/api/v1/openapi.json").json()
    listing = document["paths"]["/api/v1/units"]["get"]["responses"]
    assert {"304", "401", "429"} <= set(listing)
