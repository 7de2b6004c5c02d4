"""The tamper-evident audit log (R-4.2, R-13.7): a hash chain with signed daily checkpoints, checked by verify_audit, and the
auditors' search in their scope."""

import datetime

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.services import create_token
from audit import chain
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import record
from tests.conftest import UserFactory
from tests.people.conftest import unit

pytestmark = pytest.mark.usefixtures("english")
NOW = datetime.timedelta(0)


@pytest.fixture
def logged(small_tree, admin_user):
    """Ten events, linked and pinned by a signed checkpoint."""
    for n in range(10):
        record(admin_user, "people.view", unit_id=unit("000.02.01.H19").pk, details={"n": n, "note": "đọc hồ sơ"})
    chain.seal(older_than=NOW)
    return chain.checkpoint()


def _problems() -> list[str]:
    return chain.verify().problems


def test_every_entry_is_linked_and_the_head_is_signed_R_4_2(logged, capsys):
    events = list(AuditEvent.objects.order_by("chain_index"))
    assert [e.chain_index for e in events] == list(range(1, len(events) + 1)) and all(len(e.entry_hash) == 64 for e in events)
    assert logged.chain_index == len(events) and logged.head_hash == events[-1].entry_hash
    call_command("verify_audit")
    assert f"intact: {len(events)} entries, 1 signed checkpoints" in capsys.readouterr().out
    assert chain.checkpoint() is None  # nothing new since


def test_one_changed_byte_is_found_R_4_2(logged):
    victim = AuditEvent.objects.get(chain_index=4)
    AuditEvent.objects.filter(pk=victim.pk).update(details={"n": 3, "note": "đọc hồ sơ!"})
    assert _problems() == [f"Entry 4 (event {victim.pk}, people.view) was altered, or an entry before it was."]
    with pytest.raises(CommandError, match="tampered with: 1 problems"):
        call_command("verify_audit")


def test_a_rewritten_chain_no_longer_reaches_its_signed_checkpoint_R_4_2(logged):
    # Whoever changes an entry and computes every hash after it again still cannot sign the checkpoint.
    previous = AuditEvent.objects.get(chain_index=3).entry_hash
    for event in AuditEvent.objects.filter(chain_index__gte=4).order_by("chain_index"):
        if event.chain_index == 4:
            event.action = "people.edit"
        event.entry_hash = previous = chain.link(previous, event)
        event.save(update_fields=["action", "entry_hash"])
    assert any("no longer leads to the hash signed in its checkpoint" in problem for problem in _problems())


def test_a_removed_entry_is_found_in_the_middle_and_at_the_end_R_4_2(logged):
    AuditEvent.objects.filter(chain_index=5).delete()
    assert "Entries 5 to 5 of the chain are missing (deleted)." in _problems()
    last = logged.chain_index
    AuditEvent.objects.filter(chain_index__gte=last - 1).delete()
    assert f"Entries {last - 1} to {last}, pinned by a signed checkpoint, are missing (deleted)." in _problems()


def test_an_entry_slipped_in_is_found_R_4_2(logged, admin_user):
    forged = AuditEvent.objects.create(actor=admin_user, action="accounts.grant", details={})
    AuditEvent.objects.filter(pk=forged.pk).update(at=timezone.now() - datetime.timedelta(days=3))  # back-dated, outside the chain
    assert _problems() == ["1 events older than two days are outside the chain: written behind the sealer's back, or the nightly run has stopped."]
    chain.seal(older_than=NOW)  # linked by the next night, it is still dated long before the entry before it
    assert any("is dated long before the entry linked before it" in problem for problem in _problems())


def test_a_checkpoint_signed_with_another_key_is_refused_R_4_2(logged, settings):
    settings.AUDIT_SIGNING_KEY = "khóa khác"
    assert _problems() == [f"The checkpoint at entry {logged.chain_index} is not signed by this installation's audit key."]


def test_the_sealer_leaves_the_youngest_events_for_later_and_links_them_next_time_R_4_2(logged, admin_user):
    record(admin_user, "people.view")
    assert chain.seal() == 0  # younger than AUDIT_SEAL_SECONDS: its transaction may not have committed
    assert chain.seal(older_than=NOW) == 1 and not _problems()


def test_the_nightly_run_signs_a_checkpoint_R_4_2(small_tree, admin_user, settings):
    from compliance.tasks import daily

    settings.AUDIT_SEAL_SECONDS = 0
    record(admin_user, "accounts.login")
    daily.call()
    assert AuditCheckpoint.objects.count() == 1 and not _problems()


def test_auditors_search_by_person_user_unit_action_and_time_in_their_scope_R_4_2(client, logged, admin_user, person):
    inspector = UserFactory(username="thanhtra", grant=("inspector", "000.00.02.H19"))
    record(admin_user, "people.view_sensitive", obj=person, unit_id=person.unit_id)
    client.force_login(admin_user)
    page = client.get(reverse("audit:log"), {"person": person.pk, "user": "sonoivu", "action": "people.view",
                                             "since": timezone.localdate().isoformat()})
    assert page.status_code == 200 and page.content.decode().count("people.view_sensitive") == 1
    assert client.get(reverse("audit:log"), {"since": "2026-12-02", "until": "2026-12-01"}).status_code == 400
    _token, raw = create_token(inspector, name="kiểm tra", scopes=[], days=1)
    found = client.get("/api/v1/audit/events?limit=100", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert found["items"] == []  # Phòng Ngân sách is outside Sở KH&ĐT's subtree
    assert AuditEvent.objects.filter(action="audit.search", actor=inspector).exists()  # reading the log is audited too
    client.force_login(UserFactory(grant=("hr_officer", "000.00.01.H19")))
    assert client.get(reverse("audit:log")).status_code == 403


def test_nothing_in_the_api_changes_the_log_R_13_7(client, small_tree):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {method for path, item in paths.items() if path.startswith("/api/v1/audit") for method in item} == {"get"}
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
