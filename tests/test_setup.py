"""The two-command setup: production settings pass the deploy check, the demo seeds once, synthetic data is reproducible."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import Role, RoleGrant, User
from compliance.models import Obligation
from inspections.models import Inspection
from movements import arrivals
from movements.models import Arrival
from orgs.demo import synthetic_steps
from orgs.models import ReorgPlan, Unit, UnitVersion
from problems.models import ProblemReport


def test_production_mode_passes_the_deploy_check_with_no_warning(tmp_path):
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DJANGO_ENV": "production", "SECRET_KEY": "k" * 20 + "production-test-secret-0123456789-abcdefgh",
           "FIELD_INDEX_KEY": "production-test-index-key", "FIELD_MASTER_KEYS": "p1:" + "A" * 43 + "=",
           "ALLOWED_HOSTS": "cbccvc.dongnai.gov.vn", "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_seed_demo_builds_the_province_once_and_prints_accounts(catalogs, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    units = Unit.objects.count()
    assert 55 <= units <= 80 and "sonoivu" in out and "lanhdao" in out
    roles = set(RoleGrant.objects.values_list("role__code", flat=True))
    assert roles == set(Role.objects.values_list("code", flat=True))  # one demo account per role
    assert UnitVersion.objects.filter(valid_to__isnull=True, parent__isnull=True).count() == 1
    assert ReorgPlan.objects.filter(status="draft").exists()  # the example reform, ready to preview
    # An arrival awaits Sở Nội vụ, and the record file the demo wrote brings it in
    arrival, sonoivu = Arrival.objects.get(state="requested"), User.objects.get(username="sonoivu")
    path = out.split("the record file to bring in: ")[1].split()[0].rstrip(".")
    arrivals.decide(sonoivu, arrival, approve=True)
    with open(path, "rb") as handle:
        brought = arrivals.bring_in(sonoivu, arrival, upload=SimpleUploadedFile("ho-so.json", handle.read()))
    assert brought.person.full_name == "Đặng Thị Thu Hà" and brought.person.unit_id == arrival.to_unit_id
    assert Obligation.objects.filter(kind="account", met_on__isnull=True).count() > 1000  # the demo's people have no account yet
    # An inspection waits for Sở Y tế's answer (R-16.5) and an employee's problem report is answered (R-19.5)
    assert Inspection.objects.get().state == "open" and ProblemReport.objects.get().state == "answered"
    call_command("seed_demo")
    assert Unit.objects.count() == units


def test_synthetic_province_is_reproducible_and_valid(catalogs):
    assert synthetic_steps(300, seed=7) == synthetic_steps(300, seed=7)
    assert synthetic_steps(300, seed=7) != synthetic_steps(300, seed=8)
    call_command("gen_synthetic", units=300, seed=7)
    assert Unit.objects.count() == 300
    assert UnitVersion.objects.exclude(code="").values("code").distinct().count() == 300


def test_vietnamese_translation_is_complete():
    """The UI is Vietnamese first: no string of ours may be left untranslated or fuzzy."""
    po = (settings.BASE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    assert len(entries) > 200
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') or 'msgstr[0] ""' in e or "#, fuzzy" in e]
    assert untranslated == []
