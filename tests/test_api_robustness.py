"""Fuzzing the JSON API from its OpenAPI document: whatever the input, no server error (bad input gets a 4xx with a reason)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.services import create_token
from config.wsgi import application
from tests.conftest import UserFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(small_tree):
    # The WSGI app is called directly: keep Django from closing the test's database connection after each request,
    # as its own test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    admin = UserFactory(grant=("doha_admin", "000.00.00.H19"))
    _token, raw = create_token(admin, name="fuzz", scopes=[], days=1)
    yield {"Authorization": f"Bearer {raw}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error])
