"""Accounts, roles and grants: every change checked by authz, recorded with its written request, and audited."""

import datetime
import hashlib
import json
import re
import secrets
import string

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import client_ip, record
from common.errors import ServiceError
from common.text import nfc
from orgs import services as org_services
from orgs.models import Unit, UnitVersion

from . import authz
from .models import ApiToken, GrantChange, PasswordReport, Role, RoleGrant, WrittenRequest, citizen_id_index

User = get_user_model()
ROLES_FILE = settings.BASE_DIR / "data" / "roles.json"
CITIZEN_ID_RE = re.compile(r"^\d{12}$")  # căn cước công dân: 12 digits


class AccountError(ServiceError):
    """Refused account or grant change; nothing was written."""


def load_roles(path=ROLES_FILE) -> int:
    """Create or update the roles of the data file; roles dropped from the file are kept for old grants."""
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = {a for r in data["roles"] for a in r["actions"]} - set(authz.ACTIONS)
    if unknown:
        raise AccountError(f"{path.name}: unknown actions {sorted(unknown)}")
    with transaction.atomic():
        for item in data["roles"]:
            Role.objects.update_or_create(code=item["code"], defaults={
                "name": item["name"], "name_en": item.get("name_en", ""), "actions": item["actions"],
                "clearance": item["clearance"], "requires_2fa": item["requires_2fa"], "delegable": item["delegable"]})
    return len(data["roles"])


def generate_password() -> str:
    """A one-time password shown once to whoever hands it over; the user must change it at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + secrets.choice("!@#$%&*?")
        if any(c.isdigit() for c in candidate) and any(c.isupper() for c in candidate) and any(c.islower() for c in candidate):
            return candidate


def administering_unit(unit: Unit) -> int:
    """The unit whose officers administer accounts of this unit's staff: its managing body when one is set
    (the body above a commune, R-6.3), otherwise the unit itself."""
    version = UnitVersion.objects.filter(unit=unit, valid_to__isnull=True).only("managing_body_id").first()
    return version.managing_body_id if version and version.managing_body_id else unit.pk


def _refuse(actor, action, message, field=None, unit_id=None, request=None):
    record(actor, action, outcome="refused", unit_id=unit_id, details={"reason": message, "field": field},
           request=request)
    raise AccountError(message, field)


def _check_allowed(actor, action, unit_id, audit_action, request=None):
    if not authz.can(actor, action, unit_id):
        _refuse(actor, audit_action, _("You are not allowed to do this for this unit."), None, unit_id, request)


def _clean_username(actor, username: str, audit_action: str, request=None, exclude_pk=None) -> str:
    username = nfc(username)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        _refuse(actor, audit_action, _("A username may hold letters, digits and @ . + - _ only."), "username", request=request)
    if not username or len(username) > 150:
        _refuse(actor, audit_action, _("The username is required (at most 150 characters)."), "username", request=request)
    if User.objects.filter(username__iexact=username).exclude(pk=exclude_pk).exists():
        _refuse(actor, audit_action, _("The username “%(username)s” is already taken.") % {"username": username}, "username",
                request=request)
    return username


def create_personal_account(actor, *, unit: Unit, username: str, last_name: str, first_name: str, citizen_id: str,
                            email: str = "", request=None) -> tuple[User, str]:
    """The employing unit (or, for communes, the body above) creates the one personal account of a person (R-6.2, R-6.3, R-12.2)."""
    action = "accounts.create_personal"
    _check_allowed(actor, "accounts.manage", administering_unit(unit), action, request)
    username = _clean_username(actor, username, action, request)
    citizen_id = nfc(citizen_id)
    if not CITIZEN_ID_RE.match(citizen_id):
        _refuse(actor, action, _("The citizen ID must have 12 digits."), "citizen_id", unit.pk, request)
    index = citizen_id_index(citizen_id)
    holder = User.objects.filter(citizen_id_index=index).first()
    if holder is not None:
        _refuse(actor, action, _("This person already has a personal account (%(username)s): one account per person.")
                % {"username": holder.username}, "citizen_id", unit.pk, request)
    if not nfc(last_name) or not nfc(first_name):
        _refuse(actor, action, _("The family and given names are required."), "last_name", unit.pk, request)
    password = generate_password()
    with transaction.atomic():
        user = User(username=username, last_name=nfc(last_name), first_name=nfc(first_name), email=email.strip(),
                    kind=User.Kind.PERSONAL, unit=unit, citizen_id_index=index, created_by=actor, must_change_password=True)
        user.set_password(password)
        user.save()
        employee = Role.objects.get(code="employee")
        grant = RoleGrant.objects.create(user=user, role=employee, unit=unit, include_subtree=False,
                                         valid_from=timezone.localdate(), granted_by=actor)
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.GRANT, by=actor)
        record(actor, action, obj=user, unit_id=unit.pk, details={"username": username}, request=request)
    return user, password


def create_agency_account(actor, *, unit: Unit, username: str, last_name: str, first_name: str, written_request: WrittenRequest | None,
                          email: str = "", request=None) -> tuple[User, str]:
    """Sở Nội vụ creates the agency account of a unit and hands it to the head (R-3.6, R-6.2)."""
    action = "accounts.create_agency"
    _check_allowed(actor, "accounts.manage_agency", unit.pk, action, request)
    if written_request is None:
        _refuse(actor, action, _("Attach the written request behind this change."), "written_request", unit.pk, request)
    username = _clean_username(actor, username, action, request)
    if not nfc(last_name) or not nfc(first_name):
        _refuse(actor, action, _("The family and given names are required."), "last_name", unit.pk, request)
    password = generate_password()
    with transaction.atomic():
        user = User(username=username, last_name=nfc(last_name), first_name=nfc(first_name), email=email.strip(),
                    kind=User.Kind.AGENCY, unit=unit, created_by=actor, must_change_password=True)
        user.set_password(password)
        user.save()
        grant = RoleGrant.objects.create(user=user, role=Role.objects.get(code="unit_head"), unit=unit,
                                         valid_from=timezone.localdate(), request=written_request, granted_by=actor)
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.GRANT, request=written_request, by=actor)
        record(actor, action, obj=user, unit_id=unit.pk, details={"username": username, "request": str(written_request)},
               request=request)
    return user, password


def create_system_account(actor, *, name: str, unit: Unit, role: Role, written_request: WrittenRequest | None,
                          request=None) -> User:
    """A client system of another agency (the national database, a ministry's software): it has no password and
    reaches the API only with tokens Sở Nội vụ issues, within the role and unit it is granted."""
    action = "accounts.create_system"
    _check_allowed(actor, "roles.grant_any", unit.pk, action, request)
    if written_request is None:
        _refuse(actor, action, _("Attach the written request behind this change."), "written_request", unit.pk, request)
    username = _clean_username(actor, "system." + nfc(name).lower().replace(" ", "-"), action, request)
    with transaction.atomic():
        user = User(username=username, last_name=nfc(name), kind=User.Kind.SYSTEM, unit=unit, created_by=actor,
                    must_change_password=False)
        user.set_unusable_password()
        user.save()
        grant = RoleGrant.objects.create(user=user, role=role, unit=unit, valid_from=timezone.localdate(), request=written_request,
                                         granted_by=actor)
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.GRANT, request=written_request, by=actor)
        record(actor, action, obj=user, unit_id=unit.pk, details={"username": username, "role": role.code}, request=request)
    return user


FIRST_ADMIN_ROLE = "doha_admin"


def create_first_admin(*, username: str, last_name: str = "", first_name: str = "", email: str = "", unit_code: str = "",
                       unit_name: str = "", unit_kind: str = "PROVINCE_COMMITTEE", unit_level: str = "PROVINCE",
                       since: datetime.date | None = None, decision_number: str = "", password: str | None = None
                       ) -> tuple[User, str, Unit, bool]:
    """The first Sở Nội vụ administrator of a new database (`manage.py create_admin`): permissions come only from role grants
    over units, so the account gets the administrator role over the root of the tree with its subtree. An empty tree gets its
    root first, as a one-step reorganization plan like every other change of the tree; otherwise `unit_code` names the
    existing unit. The password is generated unless given, and must be changed at the first login.
    Returns the account, its password, the unit and whether the unit was created; audited as accounts.create_admin."""
    action = "accounts.create_admin"
    today = timezone.localdate()
    since = since or today
    # Every check before the writes, so the audited refusal is not rolled back with them.
    username = _clean_username(None, username, action)
    role = Role.objects.filter(code=FIRST_ADMIN_ROLE).first()
    if role is None:
        _refuse(None, action, _("The roles are not loaded: run manage.py load_roles first."), "role")
    code = nfc(unit_code).upper()
    version = UnitVersion.objects.filter(code=code, valid_to__isnull=True).select_related("unit").first() if code else None
    unit = version.unit if version else None
    created = unit is None
    if created and Unit.objects.exists():
        _refuse(None, action, _("No active unit has the code or id “%(ref)s”.") % {"ref": code} if code else
                _("The organization tree already has units: name the administrator's unit by its identifier code."), "unit_code")
    if created and not nfc(unit_name):
        _refuse(None, action, _("The organization tree is empty: give the name of its root unit."), "unit_name")
    if created and since > today:
        _refuse(None, action, _("The root unit cannot be dated in the future."), "since")
    user = User(username=username, last_name=nfc(last_name), first_name=nfc(first_name), email=email.strip(),
                kind=User.Kind.PERSONAL, must_change_password=True)
    if password is None:
        password = generate_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            _refuse(None, action, " ".join(exc.messages), "password")
    with transaction.atomic():
        if created:
            plan = org_services.change_tree("create", {"name": unit_name, "code": code, "kind": unit_kind, "level": unit_level},
                                    effective_date=since, user=None, title="Đơn vị gốc của cây tổ chức",
                                    decision_number=decision_number, today=today)
            unit = UnitVersion.objects.get(step__plan=plan, valid_to__isnull=True).unit
        user.unit = unit
        user.set_password(password)
        user.save()
        grant = RoleGrant.objects.create(user=user, role=role, unit=unit, include_subtree=True, valid_from=today)
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.GRANT,
                                   details={"role": role.code, "unit": unit.pk, "bootstrap": True})
        record(None, action, obj=user, unit_id=unit.pk,
               details={"username": username, "role": role.code, "grant": grant.pk, "unit_created": created})
    return user, password, unit, created


def record_written_request(actor, *, document_number: str, document_date: datetime.date, scan, summary: str = "") -> WrittenRequest:
    if not nfc(document_number):
        raise AccountError(_("This field is required."), "document_number")
    if scan is None:
        raise AccountError(_("Attach the scanned document."), "scan")
    return WrittenRequest.objects.create(document_number=nfc(document_number), document_date=document_date, scan=scan,
                                         summary=nfc(summary), recorded_by=actor)


def grant_role(actor, *, user: User, role: Role, unit: Unit, valid_from: datetime.date, valid_to: datetime.date | None,
               written_request: WrittenRequest | None, read_only: bool = False, include_subtree: bool = True,
               request=None) -> RoleGrant:
    """Grant a role over a unit subtree, on a written request (R-6.2, R-14.1, R-16.2)."""
    action = "roles.grant"
    _check_allowed(actor, "roles.grant", unit.pk, action, request)
    if not role.delegable:
        _check_allowed(actor, "roles.grant_any", unit.pk, action, request)
    if written_request is None:
        _refuse(actor, action, _("Attach the written request behind this change."), "written_request", unit.pk, request)
    if valid_to is not None and valid_to <= valid_from:
        _refuse(actor, action, _("The end date must be after the start date."), "valid_to", unit.pk, request)
    if role.code == "approval_delegate" and valid_to is None:
        _refuse(actor, action, _("A delegation to approve needs the end of the period its written authorization names."), "valid_to",
                unit.pk, request)
    if not user.usable:
        _refuse(actor, action, _("This account is locked or closed."), "user", unit.pk, request)
    if unit.ended_on is not None:
        _refuse(actor, action, _("The unit no longer exists."), "unit", unit.pk, request)
    with transaction.atomic():
        grant = RoleGrant.objects.create(user=user, role=role, unit=unit, include_subtree=include_subtree, read_only=read_only,
                                         valid_from=valid_from, valid_to=valid_to, request=written_request, granted_by=actor)
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.GRANT, request=written_request, by=actor,
                                   details={"role": role.code, "unit": unit.pk, "read_only": read_only})
        record(actor, "roles.grant", obj=grant, unit_id=unit.pk, details={"user": user.username, "role": role.code}, request=request)
    authz.forget(user)
    return grant


def _change_grant(actor, grant: RoleGrant, change: str, written_request, request, **fields) -> RoleGrant:
    action = f"roles.{change}"
    _check_allowed(actor, "roles.grant", grant.unit_id, action, request)
    if not grant.role.delegable:
        _check_allowed(actor, "roles.grant_any", grant.unit_id, action, request)
    if written_request is None:
        _refuse(actor, action, _("Attach the written request behind this change."), "written_request", grant.unit_id, request)
    if grant.revoked_at is not None:
        _refuse(actor, action, _("This grant has already been revoked."), None, grant.unit_id, request)
    with transaction.atomic():
        for key, value in fields.items():
            setattr(grant, key, value)
        grant.save()
        GrantChange.objects.create(grant=grant, action=change, request=written_request, by=actor,
                                   details={k: str(v) for k, v in fields.items()})
        record(actor, action, obj=grant, unit_id=grant.unit_id, details={k: str(v) for k, v in fields.items()}, request=request)
    authz.forget(grant.user)
    return grant


def restrict_grant(actor, grant: RoleGrant, *, written_request, read_only: bool | None = None, unit: Unit | None = None,
                   request=None) -> RoleGrant:
    """Narrow a grant: read-only, or a unit inside its current scope."""
    fields = {}
    if read_only:
        fields["read_only"] = True
    if unit is not None and unit.pk != grant.unit_id:
        if unit.pk not in authz.subtree_ids([grant.unit_id], authz.children_map(timezone.localdate())):
            _refuse(actor, "roles.restrict", _("The new scope must lie inside the current one."), "unit", grant.unit_id, request)
        fields["unit"] = unit
    if not fields:
        _refuse(actor, "roles.restrict", _("Nothing to change."), None, grant.unit_id, request)
    return _change_grant(actor, grant, "restrict", written_request, request, **fields)


def extend_grant(actor, grant: RoleGrant, *, valid_to: datetime.date | None, written_request, request=None) -> RoleGrant:
    if valid_to is not None and valid_to <= max(grant.valid_from, timezone.localdate()):
        _refuse(actor, "roles.extend", _("The new end date must be in the future."), "valid_to", grant.unit_id, request)
    return _change_grant(actor, grant, "extend", written_request, request, valid_to=valid_to)


def revoke_grant(actor, grant: RoleGrant, *, written_request, request=None) -> RoleGrant:
    return _change_grant(actor, grant, "revoke", written_request, request, revoked_at=timezone.now())


def may_manage(actor, user: User) -> bool:
    """May the actor administer this account (reset, lock, rename, end sessions)?"""
    if user.kind == User.Kind.SYSTEM:
        return authz.can(actor, "roles.grant_any", user.unit_id)
    if user.kind == User.Kind.AGENCY:
        return authz.can(actor, "accounts.manage_agency", user.unit_id)
    if user.unit_id is None:
        return authz.can(actor, "roles.grant_any")
    return authz.can(actor, "accounts.manage", administering_unit(user.unit))


def _require_manager_of(actor, user: User, audit_action: str, request=None) -> None:
    if not may_manage(actor, user):
        _refuse(actor, audit_action, _("You are not allowed to do this for this unit."), None, user.unit_id, request)


def rename_user(actor, user: User, username: str, request=None) -> User:
    _require_manager_of(actor, user, "accounts.rename", request)
    old = user.username
    user.username = _clean_username(actor, username, "accounts.rename", request, exclude_pk=user.pk)
    user.save(update_fields=["username"])
    record(actor, "accounts.rename", obj=user, unit_id=user.unit_id, details={"from": old, "to": user.username}, request=request)
    return user


def end_sessions(user: User) -> None:
    """Every session of the user ends on its next request; API tokens stop working too."""
    user.sessions_valid_after = timezone.now()
    user.save(update_fields=["sessions_valid_after"])


def close_account(actor, user: User, *, written_request: WrittenRequest | None, request=None) -> User:
    """Revoke an account for good (R-3.8): it can no longer log in or use a token; its grants end; its history stays."""
    _require_manager_of(actor, user, "accounts.close", request)
    if written_request is None:
        _refuse(actor, "accounts.close", _("Attach the written request behind this change."), "written_request", user.unit_id, request)
    if user.closed_at is not None:
        _refuse(actor, "accounts.close", _("This account is already closed."), None, user.unit_id, request)
    with transaction.atomic():
        _close(actor, user, written_request, {"reason": "account closed"})
        record(actor, "accounts.close", obj=user, unit_id=user.unit_id, details={"request": str(written_request)}, request=request)
    return user


def _close(actor, user: User, written_request: WrittenRequest | None, details: dict) -> None:
    now = timezone.now()
    user.closed_at = now
    user.save(update_fields=["closed_at"])
    for grant in user.grants.filter(revoked_at__isnull=True):
        grant.revoked_at = now
        grant.save(update_fields=["revoked_at"])
        GrantChange.objects.create(grant=grant, action=GrantChange.Action.REVOKE, request=written_request, by=actor, details=details)
    user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    end_sessions(user)
    authz.forget(user)


def close_for_unit_end(actor, user: User, *, details: dict) -> None:
    """The agency or system account of a unit that a reorganization ends closes with it; runs in the plan's transaction."""
    _close(actor, user, None, details)
    record(actor, "accounts.close", obj=user, unit_id=user.unit_id, details=details)


def account_after_departure(actor, user: User, *, status: str, decision: str, keep_reading: bool, request=None) -> None:
    """A person leaves the state sector (R-8.5): their account closes on the decision that records it; a retiree may keep
    reading their own record (RETIREES_READ_OWN_RECORD), every grant turned read-only. Runs in the caller's transaction."""
    if user.closed_at is not None:
        return
    details = {"reason": status, "decision": decision}
    if keep_reading:
        for grant in user.grants.filter(revoked_at__isnull=True, read_only=False):
            grant.read_only = True
            grant.save(update_fields=["read_only"])
            GrantChange.objects.create(grant=grant, action=GrantChange.Action.RESTRICT, by=actor, details=details)
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        authz.forget(user)
    else:
        _close(actor, user, None, details)
    record(actor, "accounts.departure", obj=user, unit_id=user.unit_id, details={**details, "keeps_reading": keep_reading}, request=request)


def end_sessions_of(actor, user: User, request=None) -> None:
    """An administrator ends all of a user's sessions (a stolen laptop, a suspicious login)."""
    _require_manager_of(actor, user, "accounts.end_sessions", request)
    end_sessions(user)
    record(actor, "accounts.end_sessions", obj=user, unit_id=user.unit_id, request=request)


def reset_password(actor, user: User, request=None) -> str:
    """A new one-time password, shown once to the administrator; never stored readable (R-3.8, R-12.3)."""
    _require_manager_of(actor, user, "accounts.reset_password", request)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    end_sessions(user)
    record(actor, "accounts.reset_password", obj=user, unit_id=user.unit_id, request=request)
    return password


def lock_account(actor, user: User, reason: str, request=None) -> User:
    _require_manager_of(actor, user, "accounts.lock", request)
    if not nfc(reason):
        _refuse(actor, "accounts.lock", _("Give the reason."), "reason", user.unit_id, request)
    user.locked_at, user.lock_reason = timezone.now(), nfc(reason)
    user.save(update_fields=["locked_at", "lock_reason"])
    end_sessions(user)
    record(actor, "accounts.lock", obj=user, unit_id=user.unit_id, details={"reason": user.lock_reason}, request=request)
    return user


def unlock_account(actor, user: User, request=None) -> User:
    _require_manager_of(actor, user, "accounts.unlock", request)
    user.locked_at, user.lock_reason = None, ""
    user.save(update_fields=["locked_at", "lock_reason"])
    record(actor, "accounts.unlock", obj=user, unit_id=user.unit_id, request=request)
    return user


def change_own_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise AccountError(_("The current password is not correct."), "old_password")
    if old_password == new_password:
        raise AccountError(_("Choose a password different from the current one."), "new_password1")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages), "new_password1") from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record(user, "accounts.change_own_password", obj=user, unit_id=user.unit_id)


def password_change_due(user: User) -> bool:
    """The regular change the regulation asks for (R-12.3); the period is configuration."""
    if user.password_changed_at is None:
        return True
    return timezone.now() - user.password_changed_at > datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


# ---------------------------------------------------------------- lost or stolen passwords

REPORTS_PER_DAY = 3


def report_password(username: str, kind: str, message: str = "", request=None) -> None:
    """Record a lost/stolen password report. The answer never tells whether the username exists.
    A stolen password also locks the account at once, so nobody keeps using it until the reset."""
    username = nfc(username)[:150]
    if kind not in PasswordReport.Kind.values:
        raise AccountError(_("Say whether the password was lost or stolen."), "kind")
    if not username:
        raise AccountError(_("This field is required."), "username")
    since = timezone.now() - datetime.timedelta(days=1)
    if PasswordReport.objects.filter(username__iexact=username, reported_at__gte=since).count() >= REPORTS_PER_DAY:
        return
    user = User.objects.filter(username__iexact=username).first()
    with transaction.atomic():
        report = PasswordReport.objects.create(user=user, username=username, kind=kind, message=nfc(message)[:500],
                                               ip_address=client_ip(request))
        if user is not None and kind == PasswordReport.Kind.STOLEN and user.locked_at is None:
            user.locked_at, user.lock_reason = timezone.now(), _("Password reported stolen")
            user.save(update_fields=["locked_at", "lock_reason"])
            end_sessions(user)
        record(user, "accounts.password_reported", obj=report, unit_id=user.unit_id if user else None, details={"kind": kind},
               request=request)


def open_password_reports(actor):
    """Reports on accounts the actor may see (the head and Sở Nội vụ over the person's unit)."""
    allowed = authz.scope(actor, "accounts.view")
    return allowed.filter(PasswordReport.objects.filter(handled_at__isnull=True), "user__unit_id").select_related("user")


def resolve_password_report(actor, report: PasswordReport, request=None) -> str:
    """Reset the password of the reported account (and unlock it); returns the one-time password."""
    if report.user is None or report.handled_at is not None:
        raise AccountError(_("This report has already been handled or names no account."), None)
    password = reset_password(actor, report.user, request=request)
    if report.user.locked_at is not None:
        unlock_account(actor, report.user, request=request)
    report.handled_by, report.handled_at = actor, timezone.now()
    report.save(update_fields=["handled_by", "handled_at"])
    return password


# ---------------------------------------------------------------- API tokens


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_system_token(actor, system: User, *, name: str, scopes: list[str], days: int, request=None) -> tuple[ApiToken, str]:
    """Sở Nội vụ issues a token to a client system (its client credentials); shown once."""
    if system.kind != User.Kind.SYSTEM:
        _refuse(actor, "accounts.issue_token", _("Only system clients receive tokens from an administrator."), None, system.unit_id, request)
    _require_manager_of(actor, system, "accounts.issue_token", request)
    return create_token(system, name=name, scopes=scopes, days=days)


def create_token(user: User, *, name: str, scopes: list[str], days: int) -> tuple[ApiToken, str]:
    unknown = set(scopes) - set(authz.ACTIONS)
    if unknown:
        raise AccountError(_("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(sorted(unknown))}, "scopes")
    if not 1 <= days <= 366:
        raise AccountError(_("A token lasts from 1 to 366 days."), "days")
    if not nfc(name):
        raise AccountError(_("This field is required."), "name")
    raw = "cb_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=nfc(name), prefix=raw[:10], key_hash=_token_hash(raw), scopes=scopes,
                                    expires_at=timezone.now() + datetime.timedelta(days=days))
    record(user, "accounts.create_token", obj=token, unit_id=user.unit_id, details={"name": token.name, "scopes": scopes})
    return token, raw


def revoke_token(actor, token: ApiToken) -> None:
    if actor != token.user:
        _require_manager_of(actor, token.user, "accounts.revoke_token")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor, "accounts.revoke_token", obj=token, unit_id=token.user.unit_id)


def user_for_token(raw: str) -> User | None:
    """The account behind a bearer token, if the token and the account are both still valid."""
    token = ApiToken.objects.filter(key_hash=_token_hash(raw)).select_related("user").first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    user = token.user
    if not user.usable or (user.sessions_valid_after and token.created_at < user.sessions_valid_after):
        return None
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user.token_scopes = frozenset(token.scopes) if token.scopes else None
    return user


def visible_accounts(actor):
    """Accounts the actor may see: those of units in their accounts.view scope (filtered in the database)."""
    allowed = authz.scope(actor, "accounts.view")
    return allowed.filter(User.objects.all(), "unit_id").select_related("unit")


def require_can_view_account(actor, user: User) -> None:
    if actor.pk != user.pk and user.unit_id not in authz.scope(actor, "accounts.view"):
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
