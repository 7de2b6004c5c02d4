"""Hardening (R-18.2, R-13.7): a Content-Security-Policy with no inline script on every answer, and templates that need none."""

import re
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def test_every_answer_carries_a_policy_without_inline_script_R_18_2(client, admin_user):
    client.force_login(admin_user)
    for url in (reverse("compliance:dashboard"), "/login/", "/api/v1/units", "/api/v1/docs"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy, url


def test_no_template_holds_an_inline_script_or_event_handler_R_18_2():
    templates = [path for path in ROOT.glob("*/templates/**/*.html") if ".venv" not in path.parts]
    assert templates
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in templates for pattern in (INLINE_SCRIPT, HANDLER)
             for match in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
