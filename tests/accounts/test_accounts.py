"""Accounts, roles and grants (R-3.4, R-3.6, R-3.7, R-3.8, R-6.2, R-6.3, R-12.2, R-12.3, R-13.7, R-14.1, R-16.2)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts import authz, services
from accounts.models import Role, RoleGrant, User, WrittenRequest
from audit.models import AuditEvent
from orgs import services as org_services
from tests.conftest import UserFactory, open_version

FINANCE, FINANCE_OFFICE, PLANNING, COMMUNE, COMMUNE_OFFICE, HOME = (
    "000.00.01.H19", "000.01.01.H19", "000.00.02.H19", "000.00.51.H19", "000.01.51.H19", "000.00.00.H19")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def unit(code):
    return open_version(code).unit


def authz_role(code):
    return Role.objects.get(code=code)


def written(actor, number="12/ĐN-STC"):
    return WrittenRequest.objects.create(document_number=number, document_date=datetime.date(2025, 8, 1), recorded_by=actor,
                                         scan=SimpleUploadedFile("request.pdf", b"%PDF-1.4 test"))


@pytest.fixture
def hr_finance(small_tree):
    return UserFactory(username="tccb.stc", grant=("hr_officer", FINANCE))


def refusals(action):
    return AuditEvent.objects.filter(action=action, outcome="refused").count()


def test_hr_officer_creates_personal_accounts_in_scope_only_R_6_2(hr_finance):
    user, password = services.create_personal_account(hr_finance, unit=unit(FINANCE_OFFICE), username="nv.vp",
                                                      last_name="Lê Văn", first_name="Tám", citizen_id="075123456789")
    assert user.kind == User.Kind.PERSONAL and user.must_change_password and user.check_password(password)
    assert user.password.startswith("argon2$")
    assert authz.can(user, "self.view", user.unit_id) and not authz.can(user, "people.view")
    with pytest.raises(services.AccountError):
        services.create_personal_account(hr_finance, unit=unit(PLANNING), username="nv.khdt", last_name="A", first_name="B",
                                         citizen_id="075123456780")
    assert not User.objects.filter(username="nv.khdt").exists()
    assert refusals("accounts.create_personal") == 1


def test_one_personal_account_per_person_R_12_2(hr_finance):
    services.create_personal_account(hr_finance, unit=unit(FINANCE), username="a1", last_name="Lê", first_name="A",
                                     citizen_id="075000000001")
    with pytest.raises(services.AccountError) as err:
        services.create_personal_account(hr_finance, unit=unit(FINANCE_OFFICE), username="a2", last_name="Lê", first_name="A",
                                         citizen_id="075000000001")
    assert err.value.field == "citizen_id" and "a1" in err.value.message
    with pytest.raises(services.AccountError) as err:
        services.create_personal_account(hr_finance, unit=unit(FINANCE), username="A1", last_name="Lê", first_name="B",
                                         citizen_id="075000000002")
    assert err.value.field == "username"
    with pytest.raises(services.AccountError) as err:
        services.create_personal_account(hr_finance, unit=unit(FINANCE), username="a3", last_name="Lê", first_name="B",
                                         citizen_id="12345")
    assert err.value.field == "citizen_id"
    assert User.objects.filter(username__in=["a2", "A1", "a3"]).count() == 0


def test_the_body_above_a_commune_creates_its_staff_accounts_R_6_3(small_tree, admin_user):
    org_services.change_tree("update", {"unit": COMMUNE, "managing_body": PLANNING}, effective_date=datetime.date(2025, 8, 1),
                             user=admin_user, title="Sở KH&ĐT quản lý tài khoản của phường")
    commune_hr = UserFactory(grant=("hr_officer", COMMUNE))
    body_hr = UserFactory(grant=("hr_officer", PLANNING))
    with pytest.raises(services.AccountError):
        services.create_personal_account(commune_hr, unit=unit(COMMUNE), username="cc.phuong", last_name="Lê", first_name="C",
                                         citizen_id="075000000003")
    user, _password = services.create_personal_account(body_hr, unit=unit(COMMUNE), username="cc.phuong", last_name="Lê",
                                                       first_name="C", citizen_id="075000000003")
    assert user.unit == unit(COMMUNE)


def test_agency_accounts_are_created_by_doha_with_a_written_request_R_3_6(admin_user, hr_finance):
    with pytest.raises(services.AccountError):
        services.create_agency_account(hr_finance, unit=unit(FINANCE), username="stc", last_name="Trần", first_name="Giám",
                                       written_request=written(hr_finance))
    with pytest.raises(services.AccountError) as err:
        services.create_agency_account(admin_user, unit=unit(FINANCE), username="stc", last_name="Trần", first_name="Giám",
                                       written_request=None)
    assert err.value.field == "written_request"
    head, _password = services.create_agency_account(admin_user, unit=unit(FINANCE), username="stc", last_name="Trần",
                                                     first_name="Giám", written_request=written(admin_user))
    assert head.kind == User.Kind.AGENCY
    assert authz.can(head, "records.approve", unit(FINANCE_OFFICE).pk) and not authz.can(head, "records.approve", unit(PLANNING).pk)


def test_delegated_administration_stays_inside_its_subtree_and_its_roles_R_14_1_R_16_2(admin_user):
    delegate = UserFactory(username="qtv.stc")
    services.grant_role(admin_user, user=delegate, role=authz_role("account_admin"), unit=unit(FINANCE),
                        valid_from=datetime.date(2025, 8, 1), valid_to=None, written_request=written(admin_user))
    target = UserFactory()
    services.grant_role(delegate, user=target, role=authz_role("hr_officer"), unit=unit(FINANCE_OFFICE),
                        valid_from=datetime.date(2025, 8, 1), valid_to=None, written_request=written(delegate))
    for role, code in [("hr_officer", PLANNING), ("unit_head", FINANCE), ("doha_admin", FINANCE)]:
        with pytest.raises(services.AccountError):
            services.grant_role(delegate, user=target, role=authz_role(role), unit=unit(code), valid_from=datetime.date(2025, 8, 1),
                                valid_to=None, written_request=written(delegate))
    with pytest.raises(services.AccountError) as err:
        services.grant_role(delegate, user=target, role=authz_role("employee"), unit=unit(FINANCE), valid_from=datetime.date(2025, 8, 1),
                            valid_to=None, written_request=None)
    assert err.value.field == "written_request"
    assert RoleGrant.objects.filter(user=target).count() == 1
    assert refusals("roles.grant") == 4


def test_an_expired_delegation_grants_nothing_R_16_2(admin_user):
    delegate = UserFactory()
    today = timezone.localdate()
    services.grant_role(admin_user, user=delegate, role=authz_role("account_admin"), unit=unit(FINANCE),
                        valid_from=today - datetime.timedelta(days=30), valid_to=today, written_request=written(admin_user))
    with pytest.raises(services.AccountError):
        services.grant_role(delegate, user=UserFactory(), role=authz_role("employee"), unit=unit(FINANCE), valid_from=today,
                            valid_to=None, written_request=written(delegate))


def test_revocation_and_restriction_take_effect_on_the_next_request_R_3_8(client, admin_user):
    hr = UserFactory(grant=("hr_officer", FINANCE))
    client.force_login(hr)
    finance_page = f"/orgs/units/{unit(FINANCE).pk}/"
    assert client.get(finance_page).status_code == 200
    grant = hr.grants.get()
    services.restrict_grant(admin_user, grant, read_only=True, written_request=written(admin_user))
    hr = User.objects.get(pk=hr.pk)
    assert authz.can(hr, "people.view", unit(FINANCE).pk) and not authz.can(hr, "accounts.manage", unit(FINANCE).pk)
    services.revoke_grant(admin_user, grant, written_request=written(admin_user))
    assert client.get(finance_page).status_code == 403
    assert [c.action for c in grant.changes.all()] == ["restrict", "revoke"]


def test_restricting_to_a_unit_outside_the_grant_is_refused(admin_user):
    hr = UserFactory(grant=("hr_officer", FINANCE))
    with pytest.raises(services.AccountError) as err:
        services.restrict_grant(admin_user, hr.grants.get(), unit=unit(PLANNING), written_request=written(admin_user))
    assert err.value.field == "unit"


def test_first_login_and_reset_force_a_new_password_R_12_3(client, hr_finance):
    user, password = services.create_personal_account(hr_finance, unit=unit(FINANCE), username="moi", last_name="Lê",
                                                      first_name="Mới", citizen_id="075000000009")
    client.force_login(user)
    response = client.get("/orgs/")
    assert response.status_code == 302 and response.url == "/account/password/"
    weak = client.post("/account/password/", {"old_password": password, "new_password1": "moi12345", "new_password2": "moi12345"})
    assert weak.status_code == 400
    good = client.post("/account/password/", {"old_password": password, "new_password1": "Hoa-sen-nở-2026!",
                                               "new_password2": "Hoa-sen-nở-2026!"})
    assert good.status_code == 302 and client.get("/orgs/").status_code == 200
    services.reset_password(hr_finance, user)
    assert client.get("/orgs/").status_code == 302  # the reset ended the session


def test_lock_ends_sessions_and_unlock_restores(client, admin_user):
    user = UserFactory(grant=("leader_viewer", HOME))
    client.force_login(user)
    assert client.get("/orgs/").status_code == 200
    with pytest.raises(services.AccountError):
        services.lock_account(admin_user, user, "")
    services.lock_account(admin_user, user, "Báo mất mật khẩu")
    assert client.get("/orgs/").status_code == 302
    services.unlock_account(admin_user, User.objects.get(pk=user.pk))
    client.force_login(User.objects.get(pk=user.pk))
    assert client.get("/orgs/").status_code == 200


def test_api_token_scopes_expiry_and_revocation_R_3_8(client, admin_user):
    _token, raw = services.create_token(admin_user, name="đồng bộ", scopes=["org.view"], days=30)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/units", **auth).status_code == 200
    body = {"name": "X", "kind": "DEPARTMENT", "level": "PROVINCE", "parent": HOME}
    assert client.post("/api/v1/units", body, content_type="application/json", **auth).status_code == 403
    _full, raw_full = services.create_token(admin_user, name="toàn quyền", scopes=[], days=1)
    assert client.post("/api/v1/units", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_full}").status_code == 201
    services.revoke_token(admin_user, _token)
    assert client.get("/api/v1/units", **auth).status_code == 401
    _full.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    _full.save()
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {raw_full}").status_code == 401
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION="Bearer cb_forged").status_code == 401


def test_token_stops_when_its_account_is_locked(client, admin_user):
    user = UserFactory(grant=("leader_viewer", HOME))
    _token, raw = services.create_token(user, name="t", scopes=[], days=5)
    services.lock_account(admin_user, user, "nghỉ việc")
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_login_history_and_lockout_after_repeated_failures_R_13_7(client, small_tree):
    user = UserFactory(username="thu", password="Đúng-mật-khẩu-2026", grant=("employee", FINANCE))
    for _ in range(5):
        client.post("/login/", {"username": "thu", "password": "sai"})
    locked = client.post("/login/", {"username": "thu", "password": "Đúng-mật-khẩu-2026"})
    assert locked.status_code == 429
    assert user.login_events.filter(success=False).count() >= 5
    assert not user.login_events.filter(success=True).exists()


def test_successful_login_is_recorded_for_its_owner(client, small_tree):
    user = UserFactory(username="lan", password="Đúng-mật-khẩu-2026", grant=("employee", FINANCE))
    response = client.post("/login/", {"username": "lan", "password": "Đúng-mật-khẩu-2026"})
    assert response.status_code == 302
    assert user.login_events.filter(success=True).count() == 1
    page = client.get("/account/").content.decode()
    assert "127.0.0.1" in page and "lan" in page


def test_lost_password_report_reaches_head_and_doha_who_reset_it_R_12_3(client, admin_user, hr_finance):
    person = UserFactory(username="mat.mk", unit=unit(FINANCE_OFFICE), grant=("employee", FINANCE_OFFICE))
    head = UserFactory(grant=("unit_head", FINANCE))
    outsider_head = UserFactory(grant=("unit_head", PLANNING))
    response = client.post("/account/password/report/", {"username": "mat.mk", "kind": "lost", "message": "ĐT 0912 345 678"})
    assert response.status_code == 200
    same = client.post("/account/password/report/", {"username": "khong.ton.tai", "kind": "lost"})
    main = [r.content.decode().split("<main")[1] for r in (response, same)]
    assert same.status_code == 200 and main[0] == main[1]  # does not tell whether the account exists
    client.force_login(head)
    assert "mat.mk" in client.get("/account/users/").content.decode()
    client.force_login(outsider_head)
    assert "mat.mk" not in client.get("/account/users/").content.decode()
    client.force_login(hr_finance)
    report = person.password_reports.get()
    page = client.post(f"/account/users/password-reports/{report.pk}/resolve/", follow=True).content.decode()
    assert 'id="one-time-password"' in page
    person.refresh_from_db()
    assert person.must_change_password and not person.check_password("pw-for-tests-1")
    report.refresh_from_db()
    assert report.handled_by == hr_finance


def test_a_stolen_password_locks_the_account_at_once_R_12_3(client, small_tree):
    person = UserFactory(username="bi.lo", grant=("employee", FINANCE))
    other = client.__class__()
    other.force_login(person)
    assert other.get("/orgs/").status_code == 200
    client.post("/account/password/report/", {"username": "bi.lo", "kind": "stolen"})
    person.refresh_from_db()
    assert person.locked_at is not None
    assert other.get("/orgs/").status_code == 302


def test_reports_are_limited_per_day(client, small_tree):
    UserFactory(username="spam", grant=("employee", FINANCE))
    for _ in range(5):
        client.post("/account/password/report/", {"username": "spam", "kind": "lost"})
    assert AuditEvent.objects.filter(action="accounts.password_reported").count() == services.REPORTS_PER_DAY


def test_accounts_api_create_grant_and_revoke_R_3_8(client, admin_user):
    client.force_login(admin_user)
    created = client.post("/api/v1/accounts/users", {"unit": FINANCE, "username": "api.nv", "last_name": "Lê", "first_name": "Api",
                                                      "citizen_id": "075000000555"}, content_type="application/json")
    assert created.status_code == 201 and len(created.json()["one_time_password"]) >= 12
    user_id = created.json()["user"]["id"]
    again = client.post("/api/v1/accounts/users", {"unit": FINANCE, "username": "api.nv2", "last_name": "Lê", "first_name": "Api",
                                                    "citizen_id": "075000000555"}, content_type="application/json")
    assert again.status_code == 400 and again.json()["field"] == "citizen_id"
    scan = SimpleUploadedFile("dn.pdf", b"%PDF-1.4 de nghi")
    granted = client.post(f"/api/v1/accounts/users/{user_id}/grants", {"role": "hr_officer", "unit": FINANCE_OFFICE,
                                                                       "document_number": "5/ĐN", "document_date": "2025-08-02", "scan": scan})
    assert granted.status_code == 201 and granted.json()["request"].startswith("5/ĐN")
    revoked = client.post(f"/api/v1/accounts/grants/{granted.json()['id']}/revoke",
                          {"document_number": "6/ĐN", "document_date": "2025-08-03", "scan": SimpleUploadedFile("x.pdf", b"%PDF")})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    roles = {g["role"] for g in client.get(f"/api/v1/accounts/users/{user_id}/grants").json() if not g["revoked_at"]}
    assert roles == {"employee"}


def test_refused_page_and_api_requests_are_audited_R_4_4(client, small_tree):
    outsider = UserFactory(grant=("hr_officer", PLANNING))
    client.force_login(outsider)
    assert client.get(f"/orgs/units/{unit(FINANCE).pk}/").status_code == 403
    assert client.get(f"/api/v1/units/{unit(FINANCE).pk}").status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied", actor=outsider)
    assert sorted(e.details["path"] for e in denied) == sorted([f"/orgs/units/{unit(FINANCE).pk}/", f"/api/v1/units/{unit(FINANCE).pk}"])


def test_written_request_scans_are_served_only_within_scope_and_audited_R_16_2(client, admin_user, hr_finance):
    person = UserFactory(unit=unit(FINANCE_OFFICE))
    grant = services.grant_role(admin_user, user=person, role=authz_role("hr_officer"), unit=unit(FINANCE_OFFICE),
                                valid_from=datetime.date(2025, 8, 1), valid_to=None, written_request=written(admin_user, "77/ĐN"))
    client.force_login(hr_finance)
    response = client.get(f"/account/requests/{grant.request_id}/scan/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert AuditEvent.objects.filter(action="accounts.read_request_scan", actor=hr_finance).count() == 1
    client.force_login(UserFactory(grant=("hr_officer", PLANNING)))
    assert client.get(f"/account/requests/{grant.request_id}/scan/").status_code == 403


def test_delegations_page_lists_delegated_administrators_in_scope_R_14_1(client, admin_user):
    delegate = UserFactory(username="qtv.stc2", unit=unit(FINANCE))
    services.grant_role(admin_user, user=delegate, role=authz_role("account_admin"), unit=unit(FINANCE),
                        valid_from=datetime.date(2025, 8, 1), valid_to=datetime.date(2026, 12, 31), written_request=written(admin_user, "88/ĐN"))
    client.force_login(UserFactory(grant=("unit_head", FINANCE)))
    page = client.get("/account/delegations/").content.decode()
    assert "qtv.stc2" in page and "88/ĐN" in page and "31/12/2026" in page
    client.force_login(UserFactory(grant=("unit_head", PLANNING)))
    assert "qtv.stc2" not in client.get("/account/delegations/").content.decode()
    assert "org.manage" in client.get("/account/roles/").content.decode()


def test_system_clients_use_tokens_issued_by_doha_within_their_role_R_16_2(client, admin_user, hr_finance):
    with pytest.raises(services.AccountError):
        services.create_system_account(hr_finance, name="CSDL quoc gia", unit=unit(HOME), role=authz_role("leader_viewer"),
                                       written_request=written(hr_finance))
    system = services.create_system_account(admin_user, name="CSDL quoc gia", unit=unit(FINANCE), role=authz_role("leader_viewer"),
                                            written_request=written(admin_user))
    assert system.kind == User.Kind.SYSTEM and not system.has_usable_password()
    assert client.post("/login/", {"username": system.username, "password": ""}).status_code == 200  # cannot log in
    with pytest.raises(services.AccountError):
        services.issue_system_token(hr_finance, system, name="x", scopes=[], days=30)
    _token, raw = services.issue_system_token(admin_user, system, name="đồng bộ", scopes=["org.view"], days=30)
    units = client.get("/api/v1/units", {"limit": 100}, HTTP_AUTHORIZATION=f"Bearer {raw}").json()["items"]
    assert {u["code"] for u in units} == {FINANCE, FINANCE_OFFICE, "000.02.01.H19"}


def test_closing_an_account_ends_everything_but_its_history_R_3_8(client, admin_user, hr_finance):
    person = UserFactory(unit=unit(FINANCE), grant=("hr_officer", FINANCE))
    _token, raw = services.create_token(person, name="t", scopes=[], days=5)
    client.force_login(person)
    with pytest.raises(services.AccountError) as err:
        services.close_account(hr_finance, person, written_request=None)
    assert err.value.field == "written_request"
    services.close_account(hr_finance, person, written_request=written(hr_finance, "99/QĐ"))
    assert client.get("/orgs/").status_code == 302
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    person.refresh_from_db()
    assert person.closed_at and not authz.active_grants(person)
    assert [c.action for c in person.grants.get().changes.all()] == ["revoke"]


def test_the_regular_password_change_is_reminded_R_12_3(client, small_tree, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    person = UserFactory(grant=("employee", FINANCE), password_changed_at=timezone.now() - datetime.timedelta(days=31))
    client.force_login(person)
    assert 'href="/account/password/"' in client.get("/orgs/").content.decode()
    person.password_changed_at = timezone.now()
    person.save()
    assert 'href="/account/password/"' not in client.get("/orgs/").content.decode()
