"""Random plans on a small tree: whatever the steps, the tree stays sound, preview equals apply, refusal changes nothing (R-3.9)."""

import datetime
from dataclasses import asdict

from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orgs import services
from orgs.models import JobPosition, StaffingQuota, Unit, UnitVersion

EXISTING = ["000.00.00.H19", "000.00.01.H19", "000.01.01.H19", "000.02.01.H19", "000.00.02.H19", "000.01.02.H19",
            "000.02.02.H19", "000.00.51.H19", "000.01.51.H19"]
FRESH = ["000.00.03.H19", "000.00.04.H19", "000.03.01.H19", "000.04.02.H19", ""]
unit = st.sampled_from(EXISTING)
name = st.sampled_from(["Đơn vị mới", "Phòng A", "Phòng B", "Phòng C", ""])  # "" is refused: the name is required
new_unit = st.fixed_dictionaries({"name": name, "code": st.sampled_from(FRESH),
                                  "kind": st.sampled_from(["DEPARTMENT", "DEPT_OFFICE"]), "level": st.just("PROVINCE")})
quotas = st.lists(st.fixed_dictionaries({"year": st.just(2026), "category": st.just("CC"), "amount": st.integers(0, 50)}), max_size=1)


def op(operation, **params):
    return st.fixed_dictionaries({"operation": st.just(operation), "params": st.fixed_dictionaries(params)})


step = st.one_of(
    op("create", name=name, code=st.sampled_from(FRESH), kind=st.just("DEPT_OFFICE"), level=st.just("PROVINCE"), parent=unit),
    op("update", unit=unit, name=name),
    op("move", unit=unit, parent=unit),
    op("merge", source=unit, target=unit),
    op("consolidate", sources=st.lists(unit, min_size=2, max_size=3, unique=True), new=new_unit),
    op("split", source=unit, keep_source=st.booleans(),
       new_units=st.lists(st.fixed_dictionaries({"name": name, "code": st.sampled_from(FRESH), "kind": st.just("DEPT_OFFICE"),
                                                 "level": st.just("PROVINCE"), "quotas": quotas}), min_size=1, max_size=2)),
    op("dissolve", unit=unit, children_to=st.one_of(st.none(), unit)),
)


def snapshot():
    return (list(UnitVersion.objects.order_by("pk").values()), list(Unit.objects.order_by("pk").values()),
            list(StaffingQuota.objects.order_by("pk").values()), list(JobPosition.objects.order_by("pk").values()))


def assert_tree_is_sound():
    live = set(Unit.objects.filter(ended_on__isnull=True).values_list("pk", flat=True))
    open_versions = list(UnitVersion.objects.filter(valid_to__isnull=True))
    assert sorted(v.unit_id for v in open_versions) == sorted(live)
    parents = {v.unit_id: v.parent_id for v in open_versions}
    for unit_id in parents:
        seen, current = set(), unit_id
        while current is not None:
            assert current not in seen, "cycle"
            seen.add(current)
            current = parents.get(current)
            assert current is None or current in live, "parent is not a live unit"
    codes = [v.code for v in open_versions if v.code]
    assert len(codes) == len(set(codes))
    for unit_id in Unit.objects.exclude(ended_on=None).values_list("pk", flat=True):
        assert not JobPosition.objects.filter(unit_id=unit_id, valid_to__isnull=True).exists()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=3))
def test_random_plans_keep_the_tree_sound_R_3_9(small_tree, admin_user, steps):
    day = datetime.date(2025, 9, 1)
    with transaction.atomic():
        plan = services.create_plan(title="random", effective_date=day, user=admin_user, steps=steps)
        before = snapshot()
        preview = services.preview_plan(plan)
        assert snapshot() == before
        try:
            applied = services.apply_plan(plan, admin_user)
        except services.ReorgError as exc:
            event("refused")
            assert preview.error is not None and preview.error.as_dict() == exc.as_dict()
            assert snapshot() == before
        else:
            event("applied")
            assert preview.error is None
            assert [asdict(o) for o in applied.outcomes] == [asdict(o) for o in preview.outcomes]
            assert_tree_is_sound()
        transaction.set_rollback(True)
