"""Demo arrival: a public employee coming from another province, requested by Sở Y tế's HR officer and awaiting Sở Nội vụ,
with the record file Sở Nội vụ would receive written to var/, so the whole path can be tried. Demo database only."""

import datetime
import json
import random

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from orgs.models import UnitVersion
from people.synthetic import Workplace, synthetic_record

from .arrivals import request_arrival

# A one-page PDF standing for the scanned written request.
SCAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SEQUENCE = 990_001  # far above the demo population's sequence numbers, so the citizen ID is nobody else's


def seed_demo_arrival(officer, *, day: datetime.date, seed: int) -> str:
    """The request into the officer's unit, and the path of the record file to bring in."""
    unit = UnitVersion.objects.select_related("kind").get(unit_id=officer.unit_id, valid_to__isnull=True)
    record = synthetic_record(random.Random(seed), today=day, category="CC", sequence=SEQUENCE, gender="2",  # noqa: S311 - synthetic
                              full_name="Đặng Thị Thu Hà", workplace=Workplace(unit.unit_id, unit.name, unit.kind.code))
    identity = record["identity"]
    handed = timezone.localdate() - datetime.timedelta(days=3)
    request_arrival(officer, to_unit_id=unit.unit_id, origin="province", origin_agency="Sở Y tế Thành phố Hồ Chí Minh",
                    full_name=identity["full_name"], birth_date=datetime.date.fromisoformat(identity["birth_date"]),
                    citizen_id=identity["citizen_id"], handover_on=handed, request_number="125/SYT-TCCB", request_date=handed,
                    upload=SimpleUploadedFile("de-nghi.pdf", SCAN))
    path = settings.VAR_DIR / "demo-arrival-record.json"
    path.write_text(json.dumps({"record": record}, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(path)
