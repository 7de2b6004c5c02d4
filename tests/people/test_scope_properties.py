"""Property: whatever grants a user holds, no search, list or record answer shows a person outside their scope (R-4.4),
and nobody below the clearance of a field sees it (R-4.3)."""

import datetime
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role, RoleGrant
from orgs.models import UnitVersion
from people import services
from tests.accounts.test_scope_properties import CODES, expected_scope
from tests.conftest import UserFactory
from tests.people.conftest import RECORD, sample_record

ROLES = ["hr_officer", "leader_viewer", "employee", "unit_head", "doha_admin", "inspector"]
grants = st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(CODES), st.booleans(), st.booleans()), max_size=3)


def one_person_per_unit(units: dict[str, int]) -> dict[int, int]:
    """unit id -> person id; citizen IDs differ by their last digits."""
    records = [(unit_id, sample_record(identity={**RECORD["identity"], "citizen_id": f"0750850{index:05d}"}))
               for index, unit_id in enumerate(units.values())]
    services.load_approved(records)
    return dict(services.Person.objects.values_list("unit_id", "pk"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(held=grants)
def test_no_person_outside_the_scope_and_no_field_above_clearance_R_4_4(client, small_tree, held):
    units = dict(UnitVersion.objects.filter(valid_to__isnull=True).values_list("code", "unit"))
    people = one_person_per_unit(units) if not services.Person.objects.exists() else dict(services.Person.objects.values_list("unit_id", "pk"))
    user = UserFactory()
    for role, code, subtree, expired in held:
        RoleGrant.objects.create(user=user, role=Role.objects.get(code=role), unit_id=units[code], include_subtree=subtree,
                                 valid_from=datetime.date(2025, 1, 1), valid_to=datetime.date(2025, 6, 1) if expired else None)
    client.force_login(user)
    viewing = {(role, code, subtree, expired) for role, code, subtree, expired in held if role != "employee"}
    allowed_people = {people[unit_id] for unit_id in expected_scope(viewing)}
    listed = client.get("/api/v1/people", {"q": "nguyen", "limit": 1000})
    page = client.get("/people/", {"q": "nguyen"})
    if not allowed_people:
        assert listed.status_code == page.status_code == 403
        return
    assert {p["id"] for p in listed.json()["items"]} == allowed_people
    assert {int(pk) for pk in re.findall(r'href="/people/(\d+)/"', page.content.decode())} <= allowed_people
    for person_id in set(people.values()) - allowed_people:
        assert client.get(f"/api/v1/people/{person_id}").status_code == 403
        assert client.get(f"/people/{person_id}/").status_code == 403
    person_id = next(iter(allowed_people))
    record = client.get(f"/api/v1/people/{person_id}").json()["record"]
    unit_id = next(unit for unit, pk in people.items() if pk == person_id)
    cleared = max(Role.objects.get(code=grant[0]).clearance for grant in viewing if unit_id in expected_scope([grant]))
    assert ("citizen_id" in record.get("identity", {})) == (cleared >= 2)
    assert ("party" in record) == (cleared >= 3)
