"""In Chromium, under the site's Content-Security-Policy: the pages run with no refused script or style, and the language
picker still switches the UI (its behaviour comes from the static app.js) (R-18.2)."""

import pytest

from tests.browser.test_record_paths import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_policy_and_the_language_picker_works_R_18_2(page, live_server, admin_user, person):
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    login(page, live_server, admin_user.username)
    for path in ("/compliance/", f"/people/{person.pk}/", "/orgs/", "/audit/", "/exchange/", "/api/v1/docs"):
        page.goto(f"{live_server.url}{path}")
    assert refused == []
    page.goto(f"{live_server.url}/compliance/")
    page.select_option("#lang", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Dashboard" in page.inner_text("header nav")
