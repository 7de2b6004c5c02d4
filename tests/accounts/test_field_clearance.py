"""Field sensitivity: a field above the user's clearance for that unit is not visible (R-4.3)."""

import pytest

from accounts import authz
from tests.conftest import UserFactory, open_version

FIELDS = ["person.full_name", "person.rank", "person.citizen_id", "person.religion", "person.health", "person.unlisted"]


@pytest.mark.parametrize("role,expected", [
    ("doha_admin", set(FIELDS)),
    ("hr_officer", {"person.full_name", "person.rank", "person.citizen_id", "person.unlisted"}),
    ("leader_viewer", {"person.full_name", "person.rank"}),
    ("employee", {"person.full_name"}),
])
def test_clearance_of_the_role_decides_the_fields_R_4_3(small_tree, role, expected):
    user = UserFactory(grant=(role, "000.00.01.H19"))
    inside = open_version("000.01.01.H19").unit_id
    outside = open_version("000.00.02.H19").unit_id
    assert authz.visible_fields(user, inside, FIELDS) == expected
    assert authz.visible_fields(user, outside, FIELDS) == set()


def test_the_highest_clearance_among_grants_reaching_the_unit_counts_R_4_3(small_tree):
    user = UserFactory(grant=[("leader_viewer", "000.00.00.H19"), ("hr_officer", "000.00.01.H19")])
    finance = open_version("000.00.01.H19").unit_id
    planning = open_version("000.00.02.H19").unit_id
    assert "person.citizen_id" in authz.visible_fields(user, finance, FIELDS)
    assert "person.citizen_id" not in authz.visible_fields(user, planning, FIELDS)
