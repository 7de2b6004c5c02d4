"""Read queries of the read-heavy pages go to a PostgreSQL streaming replica; writes and reads after a write go to the primary.

scripts/pg_replica.sh starts a real hot standby of the primary on another port. The "replica" alias is added here as settings.py
adds it when DATABASE_REPLICA_URL is set, naming the test database, which the standby streams like every other database.
"""

import copy
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from common.dbrouter import PIN_COOKIE, REPLICA, replica_reads
from people.models import Person
from reports.models import SavedSearch

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_replica.sh"
PORT = os.environ.get("REPLICA_TEST_PORT", "5433")
PERSON = Person._meta.db_table

pytestmark = [pytest.mark.usefixtures("replica"), pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]


@pytest.fixture(scope="module")
def replica(django_db_setup):
    """The replica alias for this module only: other tests would find an alias outside their `databases` (health checks...)."""
    primary = connections["default"].settings_dict
    if primary["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...): SQLite has no streaming replica")
    env = {**os.environ, "PORT": PORT, "PRIMARY_HOST": primary["HOST"] or "127.0.0.1", "PRIMARY_PORT": str(primary["PORT"] or 5432),
           "PRIMARY_USER": primary["USER"] or "postgres"}
    started = subprocess.run([str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=600, check=False)
    if started.returncode:
        pytest.skip(f"scripts/pg_replica.sh could not start the replica: {(started.stderr or started.stdout).strip()[-500:]}")
    configured = connections.settings.get(REPLICA)  # when DATABASE_REPLICA_URL is set
    if configured:
        connections[REPLICA].close()
    connections.settings[REPLICA] = {**copy.deepcopy(primary), "HOST": "127.0.0.1", "PORT": PORT, "CONN_MAX_AGE": 0,
                                     "TEST": {**primary["TEST"], "MIRROR": "default"}}
    with override_settings(DATABASE_ROUTERS=["common.dbrouter.ReplicaRouter"]):
        yield
    connections[REPLICA].close()
    del connections[REPLICA]
    if configured:
        connections.settings[REPLICA] = configured
    else:
        del connections.settings[REPLICA]


def replayed(timeout: float = 15) -> None:
    """Wait until the replica has replayed everything committed on the primary so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"the replica did not replay {lsn} within {timeout} s"
            time.sleep(0.05)


class Queries:
    """The SQL run on each connection inside the block."""

    def __enter__(self):
        self.on = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", REPLICA)}
        for captured in self.on.values():
            captured.__enter__()
        return self

    def __exit__(self, *exc):
        for captured in self.on.values():
            captured.__exit__(*exc)

    def of(self, alias: str, table: str = PERSON) -> list[str]:
        return [q["sql"] for q in self.on[alias].captured_queries if f'"{table}"' in q["sql"]]


@pytest.fixture
def officer(client, hr, person):
    """The HR officer of Sở Tài chính, logged in, once the replica has the record of Nguyễn Văn Dũng, approved moments ago."""
    replayed()
    client.force_login(hr)
    return client


def test_people_search_reads_from_the_replica(officer, person):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,), "the replica alias must reach the standby, not the primary"
    with Queries() as api:
        found = officer.get("/api/v1/people", {"q": "nguyen van dung"})
    assert found.status_code == 200
    assert [p["id"] for p in found.json()["items"]] == [person.pk]
    assert api.of(REPLICA) and not api.of("default")
    with Queries() as page:
        listed = officer.get(reverse("people:list"), {"q": "nguyen van dung"})
    assert "Nguyễn Văn Dũng" in listed.content.decode()
    assert page.of(REPLICA) and not page.of("default")


def test_a_write_sends_the_rest_of_the_context_to_the_primary(person):
    with Queries() as queries, replica_reads():
        assert Person.objects.filter(pk=person.pk).exists()
        Person.objects.filter(pk=person.pk).update(completeness=42)
        assert Person.objects.get(pk=person.pk).completeness == 42  # read after write: the replica may not have it yet
    before, after = queries.of(REPLICA), queries.of("default")
    assert len(before) == 1 and before[0].startswith("SELECT")
    assert [sql.split()[0] for sql in after] == ["UPDATE", "SELECT"]


def test_reads_outside_the_opt_in_or_in_a_transaction_use_the_primary(officer, person):
    with Queries() as queries:
        assert Person.objects.filter(pk=person.pk).exists()
        with replica_reads(), transaction.atomic():
            assert Person.objects.filter(pk=person.pk).exists()
        retiring = officer.get("/api/v1/people/retirements", {"months": 120})
    assert retiring.status_code == 200
    assert len(queries.of("default")) >= 3 and not queries.of(REPLICA)


def test_a_session_that_wrote_reads_from_the_primary_for_the_pin_window(officer, person):
    rest = [name for name in settings.MIDDLEWARE[1:] if name != "common.dbrouter.PinToPrimaryMiddleware"]
    middleware = [settings.MIDDLEWARE[0], "common.dbrouter.PinToPrimaryMiddleware", *rest]
    with override_settings(MIDDLEWARE=middleware, REPLICA_PIN_SECONDS=2):
        saved = officer.post(reverse("reports:saved_search_create"), {"kind": "people", "name": "Tìm Dũng", "query": "q=nguyen+van+dung"})
        assert saved.status_code == 302 and SavedSearch.objects.filter(name="Tìm Dũng").exists()
        with Queries() as pinned:
            page = officer.get(reverse("people:list"), {"q": "nguyen van dung"}).content.decode()
        assert "Tìm Dũng" in page
        assert pinned.of("default") and pinned.of("default", SavedSearch._meta.db_table) and not pinned.of(REPLICA)
        time.sleep(max(0.0, float(officer.cookies[PIN_COOKIE].value) - time.time()) + 0.05)
        replayed()
        with Queries() as later:
            officer.get(reverse("people:list"), {"q": "nguyen van dung"})
        assert later.of(REPLICA) and not later.of("default")
