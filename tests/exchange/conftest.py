import datetime

import pytest
from django.utils import translation

from approvals import services as approvals
from approvals.signing import SoftwareSigner
from exchange import simulator
from exchange.tls import loopback_certificates
from people import services as people
from tests.conftest import KEY_PASSWORD
from tests.people.conftest import RECORD, sample_record, unit


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the site's own language is Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def signer(head_key):
    return SoftwareSigner(head_key, KEY_PASSWORD.encode())


@pytest.fixture
def national(tmp_path, settings, ca):
    """The national-database simulator on loopback, with mutual TLS, trusting the test CA's approval signatures; the
    application is configured to reach it."""
    files = loopback_certificates(tmp_path / "ndxp", settings.EXCHANGE_AGENCY_CODE)
    with simulator.running(files, [ca.certificate]) as running:
        settings.EXCHANGE_URL = running.url
        settings.EXCHANGE_CLIENT_CERT, settings.EXCHANGE_CLIENT_KEY = str(files.client_cert), str(files.client_key)
        settings.EXCHANGE_CA_BUNDLE = str(files.ca)
        settings.EXCHANGE_TIMEOUT = 1.0
        settings.EXCHANGE_RETRY_SECONDS = 10
        running.files = files
        yield running


def staff(count: int, admin_user, code: str = "000.00.01.H19", start: int = 0) -> list:
    """`count` approved, unsigned records in the head's unit."""
    records = [sample_record(identity={**RECORD["identity"], "citizen_id": f"07508500{start + i:04d}", "full_name": f"Trần Văn Số {start + i}"})
               for i in range(count)]
    people.load_approved([(unit(code).pk, record) for record in records], approved_by=admin_user, valid_from=datetime.date(2025, 1, 1))
    return list(people.Person.objects.filter(unit__versions__code=code).order_by("pk").distinct())


def sign_all(head, signer) -> list:
    """The head's first campaign (R-19.1): every unsigned record of the unit, signed in one batch."""
    day = datetime.date.today()
    return approvals.approve(head, approvals.all_tokens(approvals.pending_changes(head, day), approvals.unsigned_people(head, day)), signer)
