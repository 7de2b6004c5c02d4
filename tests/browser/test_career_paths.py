"""End to end in Chromium: the HR officer lists who retires in the coming months (R-8.5), reads a person's timeline (R-4.1)
and transfers a person from a decision (R-8.1)."""

import datetime

import pytest

from people.retirement import retirement_date
from tests.browser.test_record_paths import login
from tests.people.test_retirement import FEMALE, load_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hr_officer_sees_upcoming_retirements_R_8_5(page, live_server, hr, admin_user):
    today = datetime.date.today()
    born = next(d for d in (datetime.date(today.year - 55, 1, 1) - datetime.timedelta(days=30 * k) for k in range(100))
                if today < retirement_date(d, FEMALE) <= today + datetime.timedelta(days=180))
    person = load_person(admin_user, "075166000106", born, FEMALE)
    login(page, live_server, hr.username)
    page.click("header nav a[href='/people/']")
    page.click("a[href='/people/retirements/']")
    page.select_option("#id_months", "6")
    page.click("form.filters button")
    row = page.locator("tr", has_text=person.full_name)
    assert retirement_date(born, FEMALE).strftime("%d/%m/%Y") in row.inner_text()


def test_the_hr_officer_reads_a_persons_timeline_R_4_1(page, live_server, hr, person):
    login(page, live_server, hr.username)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.click(f"a[href='/people/{person.pk}/timeline/']")
    rows = page.locator("table.timeline tbody").inner_text()
    assert "Công tác tại Phòng Ngân sách" in rows and "01/09/2008" in rows


def test_the_hr_officer_transfers_a_person_with_the_decision_R_8_1(page, live_server, hr, person, tmp_path):
    scan = tmp_path / "qd.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    login(page, live_server, hr.username)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.click(f"a[href='/movements/people/{person.pk}/transfer/']")
    page.select_option("#id_to_unit", label="Văn phòng Sở Tài chính (000.01.01.H19)")
    page.fill("#id_decision_number", "88/QĐ-STC")
    today = datetime.date.today().isoformat()
    page.fill("#id_decision_date", today)
    page.fill("#id_effective_on", today)
    page.set_input_files("#id_file", str(scan))
    page.click("form.card button[type=submit]")
    page.wait_for_selector(".messages li")
    person.refresh_from_db()
    assert person.version == 2 and person.unit.versions.get(valid_to__isnull=True).code == "000.01.01.H19"
