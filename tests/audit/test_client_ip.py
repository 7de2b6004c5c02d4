"""The client's address behind nginx (TRUSTED_PROXIES): one function, audit.services.client_ip, for the audit log and the login
history (R-4.2), the brute-force lockout (R-13.7), the API's rate limits (R-18.2) and /metrics (R-18.3)."""

from types import SimpleNamespace

import pytest
from django.test import Client

from accounts.models import LoginEvent
from audit.models import AuditEvent
from audit.services import client_ip
from tests.conftest import UserFactory

PASSWORD = "Đúng-mật-khẩu-2026"


def proxied(forwarded: str | None = None, remote: str = "127.0.0.1"):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return SimpleNamespace(META=meta)


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128"]


def test_without_trusted_proxies_a_forged_forwarded_address_is_ignored_R_4_2(client, small_tree, settings):
    assert settings.TRUSTED_PROXIES == []  # the default: nobody's X-Forwarded-For is believed
    UserFactory(username="lan", password=PASSWORD, grant=("employee", "000.00.01.H19"))
    client.post("/login/", {"username": "lan", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.9.9.9")
    event = AuditEvent.objects.get(action="accounts.login", outcome="ok")
    assert event.ip_address == "198.51.100.7"
    assert LoginEvent.objects.get(success=True).ip_address == "198.51.100.7"


def test_behind_nginx_the_audit_and_login_history_record_the_client_R_4_2(client, small_tree, behind_nginx):
    UserFactory(username="lan", password=PASSWORD, grant=("employee", "000.00.01.H19"))
    client.post("/login/", {"username": "lan", "password": PASSWORD}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AuditEvent.objects.get(action="accounts.login", outcome="ok").ip_address == "203.0.113.9"
    assert LoginEvent.objects.get(success=True).ip_address == "203.0.113.9"


def test_failed_logins_lock_out_the_address_that_made_them_not_everyone_behind_nginx_R_13_7(small_tree, behind_nginx):
    UserFactory(username="sonoivu", password=PASSWORD, grant=("doha_admin", "000.00.00.H19"))
    UserFactory(username="thu", password=PASSWORD, grant=("employee", "000.00.01.H19"))
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for n in range(5):  # a different username each time: it is the address that gets locked, not an account
        attacker.post("/login/", {"username": f"doan{n}", "password": "sai"})
    assert attacker.post("/login/", {"username": "thu", "password": PASSWORD}).status_code == 429
    admin = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert admin.post("/login/", {"username": "sonoivu", "password": PASSWORD}).status_code == 302
    assert admin.get("/account/").status_code == 200
    assert set(LoginEvent.objects.filter(success=False).values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_without_trusted_proxies_every_client_behind_nginx_shares_one_lockout_R_13_7(small_tree, settings):
    """What TRUSTED_PROXIES fixes: nginx's own address is all the application sees."""
    UserFactory(username="sonoivu", password=PASSWORD, grant=("employee", "000.00.00.H19"))
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for n in range(5):
        attacker.post("/login/", {"username": f"doan{n}", "password": "sai"})
    admin = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert admin.post("/login/", {"username": "sonoivu", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize(("forwarded", "expected"), [
    ("203.0.113.9", "203.0.113.9"),
    ("1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote 1.2.3.4 itself; nginx appended the address it saw
    ("1.2.3.4,203.0.113.9, 127.0.0.1", "203.0.113.9"),  # past a second trusted proxy
    ("2001:db8::7", "2001:db8::7"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("127.0.0.1", "127.0.0.1"),  # a request from the proxy's own machine
])
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy_R_13_7(behind_nginx, forwarded, expected):
    assert client_ip(proxied(forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "not-an-ip", "203.0.113.9, not-an-ip", "203.0.113.9:5555", "203.0.113.9,", "unknown"])
def test_a_missing_or_malformed_forwarded_header_falls_back_to_the_connection_R_13_7(behind_nginx, forwarded):
    assert client_ip(proxied(forwarded)) == "127.0.0.1"


def test_only_a_trusted_connection_may_forward_an_address_R_13_7(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5/32", "10.0.0.6/32"]  # two load balancers
    assert client_ip(proxied("203.0.113.9", remote="10.0.0.6")) == "203.0.113.9"
    assert client_ip(proxied("203.0.113.9", remote="10.0.0.7")) == "10.0.0.7"  # not a balancer: its header is ignored
    assert client_ip(proxied("203.0.113.9", remote="::ffff:10.0.0.5")) == "203.0.113.9"
    assert client_ip(None) is None


def test_rate_limits_count_each_client_behind_nginx_R_18_2(client, small_tree, behind_nginx, settings, monkeypatch):
    monkeypatch.setattr("common.ratelimit.time", SimpleNamespace(time=lambda: 1_796_205_620.0))
    settings.API_RATE_LIMIT_SENSITIVE = 2
    guesses = [client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer cb_guess{n}", REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR="203.0.113.66").status_code for n in range(3)]
    assert guesses == [401, 401, 429]
    other = client.get("/api/v1/units", HTTP_AUTHORIZATION="Bearer cb_other", REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 401  # refused as unknown, not as the first client's neighbour


def test_metrics_judge_the_scraper_by_its_forwarded_address_R_18_3(client, db, behind_nginx, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32", "192.0.2.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200  # a scrape on the server itself
