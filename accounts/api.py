import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination
from orgs.services import unit_by_code

from . import authz, services
from .models import Role, RoleGrant, User

router = Router(tags=["accounts"])


class RoleOut(Schema):
    code: str
    name: str
    name_en: str
    actions: list[str]
    clearance: int
    requires_2fa: bool
    delegable: bool


class GrantOut(Schema):
    id: int
    role: str = Field(alias="role.code")
    unit_id: int
    include_subtree: bool
    read_only: bool
    valid_from: datetime.date
    valid_to: datetime.date | None
    revoked_at: datetime.datetime | None
    request: str | None

    @staticmethod
    def resolve_request(obj):
        return str(obj.request) if obj.request_id else None


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    kind: str
    unit_id: int | None
    locked: bool
    closed: bool

    @staticmethod
    def resolve_full_name(obj):
        return obj.get_full_name()

    @staticmethod
    def resolve_locked(obj):
        return obj.locked_at is not None

    @staticmethod
    def resolve_closed(obj):
        return obj.closed_at is not None


class MeOut(UserOut):
    grants: list[GrantOut]
    must_change_password: bool

    @staticmethod
    def resolve_grants(obj):
        return list(obj.grants.select_related("role", "request"))


class PersonalAccountIn(Schema):
    unit: str = Field(description="identifier code of the employing unit")
    username: str
    last_name: str
    first_name: str
    citizen_id: str
    email: str = ""


class AccountCreatedOut(Schema):
    user: UserOut
    one_time_password: str = Field(description="shown once; the user must change it at first login")


class PasswordOut(Schema):
    one_time_password: str


class LockIn(Schema):
    reason: str


class TokenIn(Schema):
    name: str
    scopes: list[str] = []
    days: int = 90


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime.datetime
    revoked_at: datetime.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="shown once")


def _account(request, user_id: int) -> User:
    user = get_object_or_404(User, pk=user_id)
    services.require_can_view_account(request.user, user)
    return user


def _managed(request, user_id: int) -> User:
    user = get_object_or_404(User, pk=user_id)
    if not services.may_manage(request.user, user):
        raise PermissionDenied
    return user


def _written_request(request, document_number, document_date, scan):
    return services.record_written_request(request.user, document_number=document_number, document_date=document_date, scan=scan)


@router.get("/me", response=MeOut, summary="The calling account, with its roles")
def me(request):
    return request.user


@router.get("/roles", response=list[RoleOut], summary="Roles and what they allow")
def roles(request):
    return Role.objects.all()


@router.get("/users", response=list[UserOut], summary="Accounts of the units in the caller's scope")
@paginate(Pagination)
def list_users(request, q: str = ""):
    authz.require(request.user, "accounts.view")
    users = services.visible_accounts(request.user).order_by("username")
    return users.filter(username__icontains=q) if q else users


@router.post("/users", response={201: AccountCreatedOut, 400: ErrorOut, 403: ErrorOut}, summary="Create a personal account")
def create_user(request, payload: PersonalAccountIn):
    authz.require(request.user, "accounts.manage")
    data = payload.dict()
    data["unit"] = unit_by_code(data["unit"])
    user, password = services.create_personal_account(request.user, request=request, **data)
    return Status(201, {"user": user, "one_time_password": password})


@router.get("/users/{user_id}", response=UserOut, summary="An account")
def get_user(request, user_id: DbId):
    return _account(request, user_id)


@router.get("/users/{user_id}/grants", response=list[GrantOut], summary="An account's roles, with their written requests")
def list_grants(request, user_id: DbId):
    return _account(request, user_id).grants.select_related("role", "request")


@router.post("/users/{user_id}/grants", response={201: GrantOut, 400: ErrorOut, 403: ErrorOut},
             summary="Grant a role over a unit subtree, on a written request (multipart, with the scan)")
def add_grant(request, user_id: DbId, role: Form[str], unit: Form[str], document_number: Form[str], document_date: Form[datetime.date],
              scan: File[UploadedFile], valid_from: Form[datetime.date] = None, valid_to: Form[datetime.date] = None,
              read_only: Form[bool] = False, include_subtree: Form[bool] = True):
    user = _account(request, user_id)
    authz.require(request.user, "roles.grant")
    grant = services.grant_role(request.user, user=user, role=get_object_or_404(Role, code=role), unit=unit_by_code(unit),
                                valid_from=valid_from or timezone.localdate(), valid_to=valid_to, read_only=read_only,
                                include_subtree=include_subtree,
                                written_request=_written_request(request, document_number, document_date, scan), request=request)
    return Status(201, grant)


@router.post("/grants/{grant_id}/revoke", response={200: GrantOut, 400: ErrorOut, 403: ErrorOut},
             summary="Revoke a grant, on a written request (multipart, with the scan)")
def revoke_grant(request, grant_id: DbId, document_number: Form[str], document_date: Form[datetime.date], scan: File[UploadedFile]):
    grant = get_object_or_404(RoleGrant.objects.select_related("user", "role"), pk=grant_id)
    authz.require(request.user, "roles.grant", grant.unit_id)
    return services.revoke_grant(request.user, grant, written_request=_written_request(request, document_number, document_date, scan),
                                 request=request)


@router.post("/users/{user_id}/reset-password", response={200: PasswordOut, 400: ErrorOut, 403: ErrorOut},
             summary="Reset a password; the one-time password is in the answer only")
def reset_password(request, user_id: DbId):
    return {"one_time_password": services.reset_password(request.user, _managed(request, user_id), request=request)}


@router.post("/users/{user_id}/lock", response={200: UserOut, 400: ErrorOut, 403: ErrorOut}, summary="Lock an account")
def lock(request, user_id: DbId, payload: LockIn):
    return services.lock_account(request.user, _managed(request, user_id), payload.reason, request=request)


@router.post("/users/{user_id}/unlock", response={200: UserOut, 400: ErrorOut, 403: ErrorOut}, summary="Unlock an account")
def unlock(request, user_id: DbId):
    return services.unlock_account(request.user, _managed(request, user_id), request=request)


@router.get("/tokens", response=list[TokenOut], summary="The caller's API tokens")
def list_tokens(request):
    return request.user.api_tokens.order_by("-created_at")


@router.post("/tokens", response={201: NewTokenOut, 400: ErrorOut}, summary="Create an API token for the caller")
def create_token(request, payload: TokenIn):
    token, raw = services.create_token(request.user, **payload.dict())
    token.token = raw
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="Revoke one of the caller's tokens")
def revoke_token(request, token_id: DbId):
    token = get_object_or_404(request.user.api_tokens, pk=token_id)
    services.revoke_token(request.user, token)
    return token
