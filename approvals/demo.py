"""Demo signing: a test CA the demo trusts, a PKCS#12 key for each demo approver, and an open round. Demo database only."""

import datetime

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.utils import timezone

from .models import ApprovalWindow
from .services import trust_roots
from .testca import TestCA

DEMO_KEY_PASSWORD = "demo-ky-so"
DEMO_SIGNERS = ("gd.soyte", "pgd.soyte", "uq.soyte")


def seed_demo_signing(admin, citizen_ids: dict[str, str], root_unit_id: int, authority: TestCA | None = None):
    """Keys in var/demo-keys/<username>.p12 whose certificates name each approver's citizen ID, as Vietnamese CAs do;
    the demo CA (or the one given, which also issues the agency seals) appended to the trusted roots; and a round open for
    31 days from today, so approvals can be tried any day."""
    authority = authority or TestCA("CA thử nghiệm – dữ liệu mẫu CSDL CBCCVC")
    bundle = settings.APPROVAL_TRUST_ROOTS
    bundle.parent.mkdir(parents=True, exist_ok=True)
    with bundle.open("ab") as roots:
        roots.write(authority.certificate.public_bytes(serialization.Encoding.PEM))
    trust_roots.cache_clear()
    keys = settings.VAR_DIR / "demo-keys"
    keys.mkdir(exist_ok=True)
    for username, citizen_id in citizen_ids.items():
        (keys / f"{username}.p12").write_bytes(authority.pkcs12(username, DEMO_KEY_PASSWORD.encode(), citizen_id=citizen_id, days=3650))
    today = timezone.localdate()
    ApprovalWindow.objects.create(unit_id=root_unit_id, opens_on=today, closes_on=today + datetime.timedelta(days=31), opened_by=admin,
                                  reason="Chiến dịch phê duyệt lần đầu (Điều 19 Quy chế) – dữ liệu mẫu")
    return keys
