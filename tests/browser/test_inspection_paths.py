"""End to end in Chromium: an inspector of Sở Nội vụ records an inspection of Sở Tài chính with two measures, the unit's HR
officer answers it, the inspector closes it (R-14.4, R-16.5). The new labels are not translated yet: elements are found by
id and name, and the checks are on the data typed."""

import datetime

import pytest

from inspections.models import Inspection
from tests.browser.test_record_paths import login
from tests.conftest import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inspection_is_recorded_answered_and_closed_R_16_5(page, live_server, small_tree, hr):
    inspector = UserFactory(username="thanhtra", grant=("inspector", "000.00.00.H19"))
    login(page, live_server, inspector.username)
    page.click("header nav a[href='/inspections/']")
    page.click("#new-inspection")
    page.fill("#id_unit", "000.00.01.H19")
    page.select_option("#id_area", "updating")
    page.fill("#id_inspected_on", datetime.date.today().isoformat())
    page.fill("#id_findings", "Ba hồ sơ chưa cập nhật quá trình bồi dưỡng năm 2025.")
    page.fill("#id_measures", "Cập nhật ba hồ sơ trong tháng\nBáo cáo kết quả cho Sở Nội vụ")
    page.click("#inspection-form button[type=submit]")
    page.wait_for_selector("#measures")
    inspection = Inspection.objects.get()
    assert page.url.endswith(f"/inspections/{inspection.pk}/")
    measures = page.inner_text("#measures")
    assert "Cập nhật ba hồ sơ trong tháng" in measures and "Báo cáo kết quả cho Sở Nội vụ" in measures
    assert page.get_attribute("#state", "data-state") == "open"

    login(page, live_server, hr.username)
    page.click("header nav a[href='/inspections/']")
    page.click(f"#inspection-{inspection.pk} a")
    assert "Ba hồ sơ chưa cập nhật" in page.inner_text("#findings")
    page.fill("#id_text", "Đã cập nhật ba hồ sơ; báo cáo gửi kèm.")
    page.check("#id_measures_done_0")
    page.click("#answer-form button[type=submit]")
    page.wait_for_selector("#answers .answer")
    assert "Đã cập nhật ba hồ sơ" in page.inner_text("#answers")
    assert page.get_attribute("#state", "data-state") == "answered"
    assert page.locator("#close-form").count() == 0  # the unit answers, it does not conclude

    login(page, live_server, inspector.username)
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    page.fill("#id_conclusion", "Đơn vị đã khắc phục; tiếp tục theo dõi việc báo cáo.")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#conclusion")
    assert "tiếp tục theo dõi" in page.inner_text("#conclusion")
    assert page.get_attribute("#state", "data-state") == "closed"
    inspection.refresh_from_db()
    assert inspection.state == "closed" and inspection.measures.filter(done_on__isnull=False).count() == 1
