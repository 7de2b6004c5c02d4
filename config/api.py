"""The JSON API, /api/v1/; its OpenAPI document is /api/v1/openapi.json."""

from django.core.exceptions import PermissionDenied
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from accounts.api import router as accounts_router
from accounts.middleware import audit_denied
from accounts.services import user_for_token
from catalogs.api import router as catalogs_router
from common.errors import ServiceError
from orgs.api import router as orgs_router


class ApiTokenAuth(HttpBearer):
    """Authorization: Bearer <personal or system token>; the token's scopes narrow what its user may do."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="CSDL CBCCVC API",
    version="1",
    description="Personnel database of the province: organization tree, catalogs, reorganizations, accounts and roles.",
    auth=[ApiTokenAuth(), django_auth],
    urls_namespace="api-v1",
)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return api.create_response(request, {"detail": str(exc), **exc.as_dict()}, status=400)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    audit_denied(request)
    return api.create_response(request, {"detail": str(exc) or "Permission denied"}, status=403)


api.add_router("/catalogs", catalogs_router)
api.add_router("/accounts", accounts_router)
api.add_router("/", orgs_router)
