"""`manage.py create_admin`: the first Sở Nội vụ administrator of a new database, who builds it and manages its accounts (R-3.4,
R-16.2): the root unit through a reorganization plan, the account with a temporary password, the role over the whole tree."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import authz
from accounts.models import RoleGrant, User
from audit.models import AuditEvent
from orgs.models import ReorgPlan, Unit, UnitVersion

pytestmark = pytest.mark.usefixtures("english")

ROOT_NAME, ROOT_CODE = "Ủy ban nhân dân tỉnh Đồng Nai", "000.00.00.H19"
NEW_PASSWORD = "Mật-khẩu-mới-của-tôi-2026"


def create_admin(*args, stdin=None) -> str:
    out = io.StringIO()
    call_command("create_admin", *args, stdout=out, **({"stdin": io.StringIO(stdin)} if stdin is not None else {}))
    return out.getvalue()


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def second_factor(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_the_first_administrator_of_an_empty_database_opens_the_tree_and_the_accounts_R_3_4(catalogs, second_factor):
    out = create_admin("--username", "qtv.sonoivu", "--last-name", "Nguyễn Văn", "--first-name", "An", "--unit-name", ROOT_NAME,
                       "--unit-code", ROOT_CODE, "--since", "2025-07-01", "--decision", "Số 1/QĐ-UBND")
    password = re.search(r"first login\): (\S+)$", out, re.M).group(1)
    root = UnitVersion.objects.get()
    assert (root.name, root.code, root.parent_id, root.valid_from) == (ROOT_NAME, ROOT_CODE, None, datetime.date(2025, 7, 1))
    plan = ReorgPlan.objects.get()  # the root came through a reorganization plan, like every change of the tree
    assert plan.status == ReorgPlan.Status.APPLIED and plan.decision_number == "Số 1/QĐ-UBND"
    admin = User.objects.get(username="qtv.sonoivu")
    assert admin.must_change_password and admin.check_password(password) and admin.unit_id == root.unit_id
    grant = RoleGrant.objects.get(user=admin)
    assert (grant.role.code, grant.unit_id, grant.include_subtree) == ("doha_admin", root.unit_id, True)
    assert authz.can(admin, "org.manage", root.unit_id) and authz.can(admin, "accounts.manage_agency", root.unit_id)
    event = AuditEvent.objects.get(action="accounts.create_admin")
    assert (event.actor, event.outcome, event.object_id, event.unit_id) == (None, "ok", str(admin.pk), root.unit_id)
    assert event.details["role"] == "doha_admin" and event.details["unit_created"] is True
    assert password not in str(event.details)

    client = Client()
    assert client.post("/login/", {"username": "qtv.sonoivu", "password": password}).status_code == 302
    assert client.get("/orgs/").url == "/account/password/"
    changed = client.post("/account/password/", {"old_password": password, "new_password1": NEW_PASSWORD,
                                                 "new_password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/orgs/").url == "/account/2fa/verify/"  # the role requires a second factor
    assert client.get("/account/2fa/").status_code == 200
    assert client.post("/account/2fa/", {"token": code_for(TOTPDevice.objects.get(user=admin))}).status_code == 200
    tree = client.get("/orgs/")
    assert tree.status_code == 200 and ROOT_NAME in tree.content.decode()
    accounts = client.get("/account/users/")
    assert accounts.status_code == 200 and "qtv.sonoivu" in accounts.content.decode()


def test_running_it_again_refuses_the_username_and_changes_nothing_R_16_2(catalogs):
    create_admin("--username", "qtv.sonoivu", "--unit-name", ROOT_NAME)
    with pytest.raises(CommandError, match=r"^--username: The username “QTV.SoNoiVu” is already taken\.$"):
        create_admin("--username", "QTV.SoNoiVu", "--unit-name", ROOT_NAME)
    assert User.objects.count() == 1 and Unit.objects.count() == 1 and RoleGrant.objects.count() == 1
    assert AuditEvent.objects.filter(action="accounts.create_admin", outcome="ok").count() == 1
    assert AuditEvent.objects.filter(action="accounts.create_admin", outcome="refused").count() == 1


def test_a_tree_with_units_needs_the_code_of_the_administrators_unit_R_16_2(small_tree):
    with pytest.raises(CommandError, match=r"^--unit-code: The organization tree already has units"):
        create_admin("--username", "qtv2", "--unit-name", "Một gốc nữa")
    with pytest.raises(CommandError, match=r"No active unit has the code or id “000.00.99.H19”"):
        create_admin("--username", "qtv2", "--unit-code", "000.00.99.H19")
    units = Unit.objects.count()
    out = create_admin("--username", "qtv2", "--unit-code", ROOT_CODE, "--password-stdin", stdin="Một-mật-khẩu-đủ-dài-9\n")
    assert "Temporary password" not in out and "Một-mật-khẩu" not in out
    admin = User.objects.get(username="qtv2")
    assert Unit.objects.count() == units and admin.unit.versions.get(valid_to__isnull=True).code == ROOT_CODE
    assert admin.must_change_password and admin.check_password("Một-mật-khẩu-đủ-dài-9")
    assert authz.can(admin, "org.manage", UnitVersion.objects.get(code="000.01.51.H19", valid_to__isnull=True).unit_id)
    assert AuditEvent.objects.get(action="accounts.create_admin", outcome="ok").details["unit_created"] is False


def test_an_empty_tree_needs_the_name_of_its_root_and_a_weak_password_is_refused(catalogs):
    with pytest.raises(CommandError, match=r"^--unit-name: The organization tree is empty: give the name of its root unit"):
        create_admin("--username", "qtv")
    with pytest.raises(CommandError, match=r"^--password-stdin: This password is too short"):
        create_admin("--username", "qtv", "--unit-name", ROOT_NAME, "--password-stdin", stdin="123\n")
    assert not User.objects.exists() and not Unit.objects.exists()
