"""End to end in Chromium: an arrival from another province through Sở Nội vụ (R-8.3), and a merge that carries its
people, previewed then applied (R-3.9)."""

import datetime
import json

import pytest

from movements.models import Arrival
from orgs import services as orgs
from people.models import Person
from tests.browser.test_record_paths import login
from tests.movements.test_arrivals import NEWCOMER_ID, newcomer_record
from tests.people.conftest import PDF, unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_arrival_is_requested_approved_and_brought_in_R_8_3(page, live_server, hr, admin_user, tmp_path):
    scan, record = tmp_path / "de-nghi.pdf", tmp_path / "ho-so.json"
    scan.write_bytes(PDF)
    record.write_text(json.dumps({"record": newcomer_record()}), encoding="utf-8")
    today = datetime.date.today().isoformat()
    login(page, live_server, hr.username)
    page.click("header nav a[href='/movements/arrivals/']")
    page.click("a[href='/movements/arrivals/new/']")
    page.select_option("#id_to_unit", label="Phòng Ngân sách (000.02.01.H19)")
    page.select_option("#id_origin", "province")
    page.fill("#id_origin_agency", "Sở Tài chính TP. Hồ Chí Minh")
    page.fill("#id_full_name", "Lê Thị Hoa")
    page.fill("#id_birth_date", "1990-06-01")
    page.fill("#id_citizen_id", NEWCOMER_ID)
    page.fill("#id_handover_on", today)
    page.fill("#id_request_number", "15/STC-TCCB")
    page.fill("#id_request_date", today)
    page.set_input_files("#id_file", str(scan))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("table.steps")
    assert "Văn bản đề nghị gửi Sở Nội vụ" in page.inner_text("table.steps")
    arrival = Arrival.objects.get()

    login(page, live_server, admin_user.username)
    page.goto(f"{live_server.url}/movements/arrivals/{arrival.pk}/")
    page.check("input[name=decision][value=approve]")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("input[name=action][value=bring_in]", state="attached")
    page.set_input_files("#id_file", str(record))
    page.click("#bring-in")
    page.wait_for_selector(".messages li")
    assert "Đơn vị tạo tài khoản cá nhân" in page.inner_text("table.steps")
    assert Arrival.objects.get().state == Arrival.State.BROUGHT_IN and Person.objects.get().unit_id == unit("000.02.01.H19").pk


def test_a_merge_preview_counts_the_people_it_carries_R_3_9(page, live_server, person, admin_user):
    plan = orgs.create_plan(title="Sáp nhập Phòng Ngân sách", effective_date=datetime.date.today(), user=admin_user,
                            steps=[{"operation": "merge", "params": {"source": "000.02.01.H19", "target": "000.01.01.H19"}}])
    login(page, live_server, admin_user.username)
    page.goto(f"{live_server.url}/orgs/plans/{plan.pk}/")
    page.click("#preview-button")
    page.wait_for_selector("#preview .ok")
    assert "Số người chuyển" in page.inner_text("#preview")
    assert page.locator("#preview tfoot th").last.inner_text() == "1"
    page.click("button[value=apply]")
    page.wait_for_selector(".status.applied")
    assert Person.objects.get().unit_id == unit("000.01.01.H19").pk
