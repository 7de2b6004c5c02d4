"""End to end in Chromium: a civil servant corrects their own record with a scanned proof and submits it; the unit head
reviews the diff in the approval round and signs it with a key: the record gets its next, signed version (R-3.10, R-3.12, R-6.5, R-9.4)."""

import pytest

from people.models import ChangeSet
from tests.conftest import KEY_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")


def test_person_corrects_own_record_and_the_head_signs_it_R_3_10(page, live_server, person, head, head_key, tmp_path):
    login(page, live_server, person.account.username)
    page.click("header nav a[href='/people/me/']")
    page.wait_for_url(f"**/people/{person.pk}/")
    assert page.locator("#section-identity").inner_text().count("075085001234") == 1

    page.click("#section-identity a.button")
    assert page.input_value("#id_identity-home_town") == "Xã Long Thành, Đồng Nai"  # never asked twice
    page.fill("#id_identity-home_town", "Xã Phú Hữu, Đồng Nai")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/people/{person.pk}/")
    page.click(".notice a")  # the pending changes

    scan = tmp_path / "cccd.pdf"
    scan.write_bytes(PDF)
    page.select_option("#id_section", "identity")
    page.set_input_files("#id_file", str(scan))
    page.click("form[action$='/upload/'] button")
    page.wait_for_selector("text=cccd.pdf")
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector(".messages li")
    assert ChangeSet.objects.get().state == ChangeSet.State.SUBMITTED

    login(page, live_server, head.username)
    page.click("header nav a[href='/approvals/']")
    review = page.locator("article.review", has_text="Nguyễn Văn Dũng")
    assert "Xã Phú Hữu, Đồng Nai" in review.inner_text()  # the diff, with its proof beside it
    review.locator("input[name=item]").check()
    key = tmp_path / "giamdoc.p12"
    key.write_bytes(head_key)
    page.set_input_files("#id_p12", str(key))
    page.fill("#id_password", KEY_PASSWORD)
    page.click("button[name=chosen]")
    page.wait_for_selector(".messages li")
    person.refresh_from_db()
    assert person.version == 2 and person.versions.get(number=2).signature.signed_by == head
    page.goto(f"{live_server.url}/people/{person.pk}/")
    assert "Xã Phú Hữu, Đồng Nai" in page.locator("#section-identity").inner_text()
