"""Demo agency seals (R-9.5): organization certificates from the demo CA, so signed exports can be tried. Demo database only."""

from pathlib import Path

from django.conf import settings

from approvals.testca import TestCA
from orgs.models import UnitVersion


def seed_demo_seals(authority: TestCA, unit_ids: list[int]) -> Path | None:
    """SEAL_DIR/<identifier code>.p12 for each unit, opened with SEAL_PASSWORD; none when no password is set."""
    if not settings.SEAL_PASSWORD:
        return None
    settings.SEAL_DIR.mkdir(parents=True, exist_ok=True)
    for version in UnitVersion.objects.filter(unit_id__in=unit_ids, valid_to__isnull=True).exclude(code=""):
        seal = authority.pkcs12(version.name, settings.SEAL_PASSWORD.encode(), days=3650)
        (settings.SEAL_DIR / f"{version.code}.p12").write_bytes(seal)
    return settings.SEAL_DIR
