"""End to end in Chromium: the head sends submitted changes back with a reason on the field; the person sees what to correct
(R-7.2)."""

import pytest

from approvals.models import Rejection
from people import services
from people.models import ChangeSet
from tests.browser.test_record_paths import login
from tests.people.conftest import RECORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_head_sends_changes_back_with_a_reason_per_field_R_7_2(page, live_server, person, head):
    change_set = services.edit_sections(person.account, person, {"contacts": {**RECORD["contacts"], "phone": "0987654321"}})
    services.submit(person.account, change_set)

    login(page, live_server, head.username)
    page.goto(f"{live_server.url}/approvals/")
    page.click(f"article.review a[href$='/people/changes/{change_set.pk}/']")
    page.fill("input[name='reason:contacts.phone']", "Số điện thoại không liên lạc được")
    page.click("form[action$='/reject/'] button")
    page.wait_for_selector(".messages li")
    assert ChangeSet.objects.get().state == ChangeSet.State.DRAFT and Rejection.objects.count() == 1

    login(page, live_server, person.account.username)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    assert "Số điện thoại không liên lạc được" in page.locator(".notice").first.inner_text()
    page.click(".notice a")
    assert "Số điện thoại không liên lạc được" in page.locator(".rejection").inner_text()
