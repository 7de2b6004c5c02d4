"""End to end in Chromium: an HR officer creates a personal account; its owner logs in with the one-time password
and must choose their own (R-6.2, R-12.3)."""

import pytest

from accounts.models import User
from orgs.demo import seed_demo_tree
from tests.conftest import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(catalogs):
    seed_demo_tree(None)
    return UserFactory(username="tccb.soyte", password="pw-for-browser-1", grant=("hr_officer", "000.00.05.H19"))


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_new_account_then_first_login_forces_a_new_password_R_6_2(page, live_server, officer):
    login(page, live_server, "tccb.soyte", "pw-for-browser-1")
    page.goto(f"{live_server.url}/account/users/new/personal/")
    page.fill("#id_unit", "000.01.05.H19")
    page.fill("#id_last_name", "Phan Thị")
    page.fill("#id_first_name", "Ngọc")
    page.fill("#id_citizen_id", "075199912345")
    page.fill("#id_username", "ngoc.pt")
    page.click("button[type=submit]")
    one_time = page.locator("#one-time-password code").inner_text()
    assert len(one_time) >= 12
    page.reload()
    assert page.locator("#one-time-password").count() == 0  # shown once

    page.context.clear_cookies()
    login(page, live_server, "ngoc.pt", one_time)
    page.wait_for_url("**/account/password/")
    page.fill("#id_old_password", one_time)
    page.fill("#id_new_password1", "Hoa-mai-nở-Tết-2027")
    page.fill("#id_new_password2", "Hoa-mai-nở-Tết-2027")
    page.click("button[type=submit]")
    page.wait_for_url("**/account/")
    assert User.objects.get(username="ngoc.pt").must_change_password is False


def test_account_outside_the_officers_scope_is_refused_with_a_message(page, live_server, officer):
    login(page, live_server, "tccb.soyte", "pw-for-browser-1")
    page.goto(f"{live_server.url}/account/users/new/personal/")
    page.fill("#id_unit", "000.00.03.H19")  # Sở Tài chính: not the officer's unit
    page.fill("#id_last_name", "Lê")
    page.fill("#id_first_name", "An")
    page.fill("#id_citizen_id", "075199900001")
    page.fill("#id_username", "an.le")
    page.click("button[type=submit]")
    assert page.locator(".errors").count() == 1
    assert not User.objects.filter(username="an.le").exists()
