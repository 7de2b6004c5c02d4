"""Fuzzing the JSON API from its OpenAPI document: whatever the input, no server error (bad input gets a 4xx with a reason), and every
answer is one the document declares: its status, media type, headers and body schema (R-18.2, R-18.4)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail_and_every_answer_is_documented_R_18_4(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
