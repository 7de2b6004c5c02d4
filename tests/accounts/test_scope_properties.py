"""Property: whatever grants a user holds, no list, search, tree or API answer carries a unit outside their scope (R-4.4)."""

import datetime
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role, RoleGrant
from orgs.models import UnitVersion
from tests.conftest import UserFactory

CODES = ["000.00.00.H19", "000.00.01.H19", "000.01.01.H19", "000.02.01.H19", "000.00.02.H19", "000.01.02.H19",
         "000.02.02.H19", "000.00.51.H19", "000.01.51.H19"]
ROLES = ["hr_officer", "leader_viewer", "employee", "unit_head", "doha_admin"]
grants = st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(CODES), st.booleans(), st.booleans()), max_size=3)


def expected_scope(held) -> set[int]:
    """Computed here by following parent links, independently of the code under test."""
    parents = dict(UnitVersion.objects.filter(valid_to__isnull=True).values_list("unit_id", "parent_id"))
    units = dict(UnitVersion.objects.filter(valid_to__isnull=True).values_list("code", "unit_id"))
    allowed = set()
    for role, code, subtree, expired in held:
        if expired:
            continue
        top = units[code]
        for unit_id in parents:
            current = unit_id
            while current is not None:
                if current == top:
                    allowed.add(unit_id)
                    break
                current = parents[current] if subtree else None
    return allowed


def collect_units(node):
    yield node["unit"]["id"]
    for child in node["children"]:
        yield from collect_units(child)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(held=grants, query=st.sampled_from(["", "so", "phong", "tran bien", "000.00.01.H19"]))
def test_no_answer_leaves_the_users_scope_R_4_4(client, small_tree, held, query):
    user = UserFactory()
    units = dict(UnitVersion.objects.filter(valid_to__isnull=True).values_list("code", "unit"))
    for role, code, subtree, expired in held:
        RoleGrant.objects.create(user=user, role=Role.objects.get(code=role), unit_id=units[code], include_subtree=subtree,
                                 valid_from=datetime.date(2025, 1, 1), valid_to=datetime.date(2025, 6, 1) if expired else None)
    client.force_login(user)
    allowed = expected_scope(held)
    listed = client.get("/api/v1/units", {"q": query, "limit": 1000})
    tree = client.get("/api/v1/units/tree")
    page = client.get("/orgs/", {"q": query})
    if not allowed:
        assert listed.status_code == tree.status_code == page.status_code == 403
        return
    assert {u["id"] for u in listed.json()["items"]} <= allowed
    assert {unit_id for root in tree.json() for unit_id in collect_units(root)} == allowed
    shown = {int(unit_id) for unit_id in re.findall(r'href="/orgs/units/(\d+)/', page.content.decode())}
    assert shown <= allowed
    for unit_id in set(units.values()) - allowed:
        assert client.get(f"/api/v1/units/{unit_id}").status_code == 403
        assert client.get(f"/orgs/units/{unit_id}/").status_code == 403
