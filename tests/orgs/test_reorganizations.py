"""The organization tree: dated history and every reorganization operation (R-2.1, R-3.1, R-3.9, R-17.1)."""

import datetime

import pytest
from django.utils import translation

from orgs import services
from orgs.models import JobPosition, ReorgPlan, StaffingQuota, Unit, UnitSuccession, UnitVersion
from tests.conftest import DAY, apply, open_version, unit_params

LATER = datetime.date(2025, 9, 1)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English here; the pages test the Vietnamese ones."""
    with translation.override("en"):
        yield


def codes_on(day):
    return set(services.versions_on(day).values_list("code", flat=True))


def quota(code, year=2026, category="CC"):
    unit = open_version(code).unit if UnitVersion.objects.filter(code=code, valid_to__isnull=True).exists() else None
    return StaffingQuota.objects.get(unit=unit, year=year, category__code=category).amount


def test_levels_and_kinds_are_data_any_depth_R_2_1(small_tree, admin_user):
    steps = [{"operation": "create", "params": unit_params(f"00{i}.02.01.H19", f"Tổ {i}", "000.02.01.H19", kind="OTHER")} for i in range(1, 4)]
    steps.append({"operation": "create", "params": unit_params("", "Nhóm con", "001.02.01.H19", kind="OTHER")})
    apply(steps, admin_user, LATER)
    deepest = UnitVersion.objects.get(name="Nhóm con")
    chain = services.ancestors_on(deepest.unit_id, LATER)
    assert [v.code for v in chain] == ["000.00.00.H19", "000.00.01.H19", "000.02.01.H19", "001.02.01.H19"]


def test_tree_as_of_any_past_date_R_3_9(small_tree, admin_user):
    apply([{"operation": "update", "params": {"unit": "000.00.01.H19", "name": "Sở Tài chính tỉnh Đồng Nai"}}], admin_user, LATER)
    finance = open_version("000.00.01.H19").unit
    assert services.version_on(finance, DAY).name == "Sở Tài chính"
    assert services.version_on(finance, LATER).name == "Sở Tài chính tỉnh Đồng Nai"
    assert services.version_on(finance, DAY - datetime.timedelta(days=1)) is None
    assert len(services.tree_on(DAY)[0].children) == 3


def test_merge_moves_children_quotas_positions_and_links_successor_R_3_9(small_tree, admin_user):
    preview, _plan = apply([{"operation": "merge", "params": {"source": "000.00.02.H19", "target": "000.00.01.H19"}}], admin_user, LATER)
    source = Unit.objects.get(versions__code="000.00.02.H19")
    target = open_version("000.00.01.H19")
    assert source.ended_on == LATER and source.end_reason == Unit.EndReason.MERGED
    assert "000.00.02.H19" not in codes_on(LATER) and "000.00.02.H19" in codes_on(DAY)
    assert {v.code for v in services.versions_on(LATER).filter(parent=target.unit)} == {
        "000.01.01.H19", "000.02.01.H19", "000.01.02.H19", "000.02.02.H19"}
    assert quota("000.00.01.H19", 2026) == 38 + 30
    assert quota("000.00.01.H19", 2025) == 40 + 30
    positions = {p.code: p.count for p in services.positions_on(target.unit, LATER)}
    assert positions == {"KT": 6, "DT": 5}
    assert UnitSuccession.objects.get(predecessor=source).successor == target.unit
    assert preview.totals["children_moved"] == 2 and preview.totals["units_ended"] == 1


def test_consolidate_makes_a_new_unit_from_several_R_3_9(small_tree, admin_user):
    new = {"name": "Sở Tài chính (hợp nhất)", "code": "000.00.03.H19", "kind": "DEPARTMENT", "level": "PROVINCE"}
    apply([{"operation": "consolidate", "params": {"sources": ["000.00.01.H19", "000.00.02.H19"], "new": new}}], admin_user, LATER)
    created = open_version("000.00.03.H19")
    assert created.parent.versions.get(valid_to__isnull=True).code == "000.00.00.H19"
    assert services.versions_on(LATER).filter(parent=created.unit).count() == 4
    assert quota("000.00.03.H19") == 68
    assert set(created.unit.predecessor_links.values_list("predecessor__versions__code", flat=True)) == {"000.00.01.H19", "000.00.02.H19"}
    assert Unit.objects.filter(end_reason=Unit.EndReason.CONSOLIDATED).count() == 2


def test_split_hands_out_children_quota_and_positions_by_the_plan_R_3_9(small_tree, admin_user):
    params = {"source": "000.00.02.H19", "new_units": [
        {"name": "Sở Kế hoạch", "code": "000.00.04.H19", "kind": "DEPARTMENT", "level": "PROVINCE",
         "children": ["000.02.02.H19"], "positions": ["DT"], "quotas": [{"year": 2026, "category": "CC", "amount": 10}]},
        {"name": "Sở Đầu tư", "code": "000.00.05.H19", "kind": "DEPARTMENT", "level": "PROVINCE"},
    ]}
    apply([{"operation": "split", "params": params}], admin_user, LATER)
    first, second = open_version("000.00.04.H19"), open_version("000.00.05.H19")
    assert open_version("000.02.02.H19").parent == first.unit
    # What the plan does not hand out goes to the first new unit, as the preview says.
    assert open_version("000.01.02.H19").parent == first.unit
    assert quota("000.00.04.H19") == 30
    assert not StaffingQuota.objects.filter(unit=second.unit).exists()
    assert {p.code for p in services.positions_on(first.unit, LATER)} == {"DT", "KT"}
    assert Unit.objects.get(versions__code="000.00.02.H19").end_reason == Unit.EndReason.SPLIT
    assert set(UnitSuccession.objects.filter(predecessor__versions__code="000.00.02.H19").values_list("successor", flat=True)) == {
        first.unit_id, second.unit_id}


def test_partial_split_keeps_the_source_and_deducts_its_quota_R_3_9(small_tree, admin_user):
    params = {"source": "000.00.01.H19", "keep_source": True, "new_units": [
        {"name": "Chi cục Quản lý giá", "code": "000.03.01.H19", "kind": "SUB_DEPARTMENT", "level": "PROVINCE",
         "parent": "000.00.01.H19", "quotas": [{"year": 2026, "category": "CC", "amount": 8}]}]}
    apply([{"operation": "split", "params": params}], admin_user, LATER)
    assert quota("000.00.01.H19") == 30 and quota("000.03.01.H19") == 8
    assert Unit.objects.get(versions__code="000.00.01.H19", ended_on__isnull=True)


def test_dissolve_needs_its_sub_units_placed_first_R_3_9(small_tree, admin_user):
    plan = services.create_plan(title="x", effective_date=LATER, user=admin_user,
                                steps=[{"operation": "dissolve", "params": {"unit": "000.00.51.H19"}}])
    preview = services.preview_plan(plan)
    assert preview.error.field == "children_to" and "1" in preview.error.message
    apply([{"operation": "dissolve", "params": {"unit": "000.00.51.H19", "children_to": "000.00.00.H19"}}], admin_user, LATER)
    assert "000.00.51.H19" not in codes_on(LATER)
    assert open_version("000.01.51.H19").parent.versions.get(valid_to__isnull=True).code == "000.00.00.H19"


def test_move_keeps_history_and_refuses_a_cycle_R_3_9(small_tree, admin_user):
    apply([{"operation": "move", "params": {"unit": "000.02.01.H19", "parent": "000.00.02.H19"}}], admin_user, LATER)
    moved = open_version("000.02.01.H19")
    assert moved.parent.versions.get(valid_to__isnull=True).code == "000.00.02.H19"
    assert services.version_on(moved.unit, DAY).parent.versions.get(valid_to__isnull=True).code == "000.00.01.H19"
    with pytest.raises(services.ReorgError) as err:
        apply([{"operation": "move", "params": {"unit": "000.00.00.H19", "parent": "000.02.01.H19"}}], admin_user, LATER)
    assert err.value.field == "parent"


BAD_STEPS = [
    ({"operation": "create", "params": unit_params("000.00.01.H19", "Trùng mã", "000.00.00.H19")}, "code", "already used"),
    ({"operation": "create", "params": unit_params("0.0.0.H19", "Mã sai", "000.00.00.H19")}, "code", "000.00.00.H19"),
    ({"operation": "create", "params": unit_params("000.00.09.H19", "", "000.00.00.H19")}, "name", "required"),
    ({"operation": "create", "params": unit_params("000.00.09.H19", "X", "000.00.00.H19", kind="NOPE")}, "kind", "NOPE"),
    ({"operation": "merge", "params": {"source": "000.00.01.H19", "target": "000.02.01.H19"}}, "target", "own sub-units"),
    ({"operation": "merge", "params": {"source": "000.00.01.H19", "target": "000.00.01.H19"}}, "target", "itself"),
    ({"operation": "move", "params": {"unit": "000.00.01.H19", "parent": "000.01.01.H19"}}, "parent", "under itself"),
    ({"operation": "update", "params": {"unit": "999.99.99.H19", "name": "X"}}, "unit", "999.99.99.H19"),
    ({"operation": "consolidate", "params": {"sources": ["000.00.01.H19"], "new": {}}}, "sources", "two"),
    ({"operation": "explode", "params": {}}, "operation", "explode"),
]


@pytest.mark.parametrize("step,field,words", BAD_STEPS)
def test_a_plan_with_one_bad_step_changes_nothing_R_3_9(small_tree, admin_user, step, field, words):
    good = {"operation": "update", "params": {"unit": "000.00.51.H19", "name": "Đổi tên trước"}}
    before = list(UnitVersion.objects.order_by("pk").values())
    plan = services.create_plan(title="bad", effective_date=LATER, user=admin_user, steps=[good]) if step["operation"] != "explode" else None
    if plan is None:
        with pytest.raises(services.ReorgError):
            services.create_plan(title="bad", effective_date=LATER, user=admin_user, steps=[good, step])
        return
    services.add_step(plan, step["operation"], step["params"])
    with pytest.raises(services.ReorgError) as err:
        services.apply_plan(plan, admin_user)
    assert (err.value.position, err.value.field) == (2, field)
    assert words in err.value.message
    assert list(UnitVersion.objects.order_by("pk").values()) == before
    plan.refresh_from_db()
    assert plan.status == ReorgPlan.Status.DRAFT


def test_operations_on_a_dissolved_unit_are_refused_R_3_9(small_tree, admin_user):
    apply([{"operation": "dissolve", "params": {"unit": "000.01.51.H19"}}], admin_user, LATER)
    dissolved = Unit.objects.get(end_reason=Unit.EndReason.DISSOLVED)
    with pytest.raises(services.ReorgError) as err:
        apply([{"operation": "update", "params": {"unit": dissolved.pk, "name": "Hồi sinh"}}], admin_user, LATER)
    assert "no longer exists" in err.value.message
    with pytest.raises(services.ReorgError):
        apply([{"operation": "update", "params": {"unit": "000.01.51.H19", "name": "Hồi sinh"}}], admin_user, LATER)


def test_a_change_cannot_predate_the_units_last_change(small_tree, admin_user):
    apply([{"operation": "update", "params": {"unit": "000.00.01.H19", "name": "Tên mới"}}], admin_user, LATER)
    with pytest.raises(services.ReorgError, match="01/09/2025"):
        apply([{"operation": "update", "params": {"unit": "000.00.01.H19", "name": "Cũ hơn"}}], admin_user, LATER - datetime.timedelta(days=1))


def test_preview_shows_what_moves_and_changes_nothing_R_3_9(small_tree, admin_user):
    plan = services.create_plan(title="preview", effective_date=LATER, user=admin_user,
                                steps=[{"operation": "merge", "params": {"source": "000.00.02.H19", "target": "000.00.01.H19"}}])
    before = (UnitVersion.objects.count(), JobPosition.objects.count(), StaffingQuota.objects.values_list("amount", flat=True).count())
    preview = services.preview_plan(plan)
    assert preview.error is None
    assert preview.outcomes[0].children_moved == 2 and preview.outcomes[0].positions_moved == 2
    assert (UnitVersion.objects.count(), JobPosition.objects.count(), StaffingQuota.objects.count()) == before
    assert quota("000.00.01.H19") == 38


def test_future_plan_is_scheduled_and_applied_on_its_date(small_tree, admin_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    future = datetime.date.today() + datetime.timedelta(days=10)
    plan = services.change_tree("update", {"unit": "000.00.01.H19", "name": "Sở Tài chính (mới)"},
                                effective_date=future, user=admin_user, title="future")
    assert plan.status == ReorgPlan.Status.SCHEDULED
    assert open_version("000.00.01.H19").name == "Sở Tài chính"
    assert services.apply_due_plans(today=future - datetime.timedelta(days=1)) == []
    [done] = services.apply_due_plans(today=future)
    assert done.status == ReorgPlan.Status.APPLIED
    assert open_version("000.00.01.H19").name == "Sở Tài chính (mới)"


def test_applied_plan_cannot_be_applied_or_edited_again(small_tree, admin_user):
    _preview, plan = apply([{"operation": "update", "params": {"unit": "000.00.01.H19", "short_name": "STC"}}], admin_user, LATER)
    with pytest.raises(services.ReorgError):
        services.apply_plan(plan, admin_user)
    with pytest.raises(services.ReorgError):
        services.add_step(plan, "update", {})


def test_subtree_is_the_scope_of_a_unit_R_3_1(small_tree):
    finance = open_version("000.00.01.H19").unit_id
    codes = set(UnitVersion.objects.filter(unit_id__in=services.subtree_unit_ids(finance, DAY), valid_to__isnull=True)
                .values_list("code", flat=True))
    assert codes == {"000.00.01.H19", "000.01.01.H19", "000.02.01.H19"}


def test_search_ignores_diacritics(small_tree):
    assert {v.code for v in services.search_units("so tai chinh", DAY)} == {"000.00.01.H19", "000.01.01.H19"}
    assert [v.code for v in services.search_units("000.00.51.H19", DAY)] == ["000.00.51.H19"]


def test_refusals_read_in_vietnamese_by_default(small_tree, admin_user):
    with translation.override("vi"):
        with pytest.raises(services.ReorgError) as err:
            apply([{"operation": "merge", "params": {"source": "000.00.01.H19", "target": "000.00.01.H19"}}], admin_user, LATER)
        assert str(err.value) == "Bước 1: Không thể sáp nhập một đơn vị vào chính nó."
