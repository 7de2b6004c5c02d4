"""TOTP second factor for administrators and approvers, with one-time recovery codes."""

import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import UserFactory


@pytest.fixture(autouse=True)
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    # django-otp slows retries after a wrong code (1 s, doubling); the test types its codes faster than that.
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_head_must_enroll_then_verify_each_login_R_13_7(client, small_tree):
    head = UserFactory(grant=("unit_head", "000.00.01.H19"))
    client.force_login(head)
    assert client.get("/orgs/").url == "/account/2fa/verify/"
    assert client.get("/account/2fa/verify/").url == "/account/2fa/"
    page = client.get("/account/2fa/").content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    assert client.post("/account/2fa/", {"token": "000000" if code_for(device) != "000000" else "111111"}).status_code == 400
    done = client.post("/account/2fa/", {"token": code_for(device)}).content.decode()
    codes = re.findall(r"<li>(\w+)</li>", done.split('id="recovery-codes"')[1])
    assert len(codes) == 10
    assert client.get("/orgs/").status_code == 200

    other = Client()
    other.force_login(head)
    assert other.get("/orgs/").url == "/account/2fa/verify/"
    assert other.post("/account/2fa/verify/", {"token": "nope"}).status_code == 400
    assert other.post("/account/2fa/verify/", {"token": codes[0]}).status_code == 302
    assert other.get("/orgs/").status_code == 200

    third = Client()
    third.force_login(head)
    assert third.post("/account/2fa/verify/", {"token": codes[0]}).status_code == 400  # a recovery code works once


def test_an_employee_is_not_asked_for_a_second_factor(client, small_tree):
    client.force_login(UserFactory(grant=("employee", "000.00.01.H19")))
    assert client.get("/orgs/").status_code == 200
