"""End to end in real Chromium: log in, browse the tree, change a unit, and apply a reorganization (R-3.9)."""

import datetime

import pytest

from orgs.demo import seed_demo_tree
from orgs.models import ReorgPlan, Unit, UnitVersion
from tests.conftest import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-browser-1"


@pytest.fixture
def demo(catalogs):
    seed_demo_tree(None)
    user = UserFactory(username="sonoivu", password=PASSWORD, grant=("doha_admin", "000.00.00.H19"))
    return user


def login(page, live_server):
    page.goto(f"{live_server.url}/orgs/")
    page.fill("#id_username", "sonoivu")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/orgs/")


def test_browse_search_and_view_a_unit_R_3_9(page, live_server, demo):
    login(page, live_server)
    assert page.locator("h1").inner_text() == "Cây tổ chức"
    page.fill("#id_q", "so y te")
    page.wait_for_function("() => !document.querySelector('#tree').innerText.includes('Sở Tài chính')")
    page.get_by_role("link", name="Sở Y tế tỉnh Đồng Nai").first.click()
    page.wait_for_url("**/orgs/units/**")
    assert "Biên chế" in page.content() and "Vị trí việc làm" in page.content()


def test_bad_identifier_code_is_explained_beside_the_field(page, live_server, demo):
    login(page, live_server)
    page.click("text=Đơn vị mới")
    page.fill("#id_name", "Sở Thử nghiệm")
    page.fill("#id_code", "12345")
    page.select_option("#id_kind", "DEPARTMENT")
    page.select_option("#id_level", "PROVINCE")
    page.click("button[type=submit]")
    error = page.locator("[data-field=code] .error")
    assert "12345" in error.inner_text()
    assert not UnitVersion.objects.filter(name="Sở Thử nghiệm").exists()


def test_build_preview_and_apply_a_merge_plan_R_3_9(page, live_server, demo):
    login(page, live_server)
    page.click("text=Sắp xếp tổ chức")
    page.click("text=Phương án mới")
    page.fill("#id_title", "Sáp nhập Sở KH&CN")
    page.fill("#id_effective_date", datetime.date.today().isoformat())
    page.click("button[type=submit]")
    page.select_option("#id_operation", "merge")
    assert page.locator("#id_name").is_hidden()
    page.fill("#id_unit", "000.00.09.H19")
    page.fill("#id_target", "000.00.08.H19")
    page.click("#step-form button[type=submit]")
    page.click("#preview-button")
    page.wait_for_selector("#preview .ok")
    assert "Sở Khoa học và Công nghệ" in page.inner_text("#preview")
    page.click("button[value=apply]")
    page.wait_for_selector(".status.applied")
    plan = ReorgPlan.objects.get(title="Sáp nhập Sở KH&CN")
    assert plan.status == ReorgPlan.Status.APPLIED
    assert Unit.objects.get(versions__code="000.00.09.H19").end_reason == Unit.EndReason.MERGED
