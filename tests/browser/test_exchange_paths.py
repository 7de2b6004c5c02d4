"""End to end in Chromium: Sở Nội vụ watches the signed records go to the national database, finds the one it rejected,
sends it again, and the record page shows each version acknowledged (R-11.1, R-11.2, R-13.2, R-18.4)."""

import pytest

from exchange.models import Packet
from exchange.tasks import send_packets
from tests.browser.test_record_paths import login
from tests.exchange.conftest import national, sign_all, signer, staff  # noqa: F401 - the fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _count(page, state: str) -> str:
    return page.inner_text(f"#sync-totals td[data-state={state}]").strip()


def test_the_operator_sends_finds_the_rejected_packet_and_resends_it_R_13_2(page, live_server, national, admin_user, head, signer):  # noqa: F811
    people = staff(3, admin_user)
    sign_all(head, signer)
    national.control(reject=1)
    login(page, live_server, admin_user.username)
    page.click("header nav a[href='/exchange/']")
    assert _count(page, "pending") == "3"

    page.click("text=Gửi ngay")
    page.wait_for_selector(".messages li")
    send_packets.call()  # the worker's turn
    page.reload()
    assert (_count(page, "acknowledged"), _count(page, "rejected")) == ("2", "1")

    page.click("#sync-totals td[data-state=rejected] a")
    page.wait_for_url("**/exchange/packets/?state=rejected")
    assert "refused by the operator of the simulator" in page.inner_text("#packets")
    page.check("#packets input[name=packets]")
    page.click("#resend")
    page.wait_for_selector(".messages li")
    send_packets.call()
    assert set(Packet.objects.values_list("state", flat=True)) == {Packet.State.ACKNOWLEDGED}
    assert national.store.count() == 3

    page.goto(f"{live_server.url}/people/{people[0].pk}/")
    assert "đã được xác nhận" in page.inner_text("main")
