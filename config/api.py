"""The JSON API, /api/v1/; its OpenAPI document is /api/v1/openapi.json."""

import json

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.utils.translation import gettext as _
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from accounts.api import router as accounts_router
from accounts.middleware import audit_denied
from accounts.services import user_for_token
from approvals.api import router as approvals_router
from audit.api import router as audit_router
from backups.api import router as backups_router
from catalogs.api import router as catalogs_router
from common.errors import ServiceError
from common.openapi import DocumentedApi
from common.text import clean_json
from compliance.api import router as compliance_router
from exchange.api import router as exchange_router
from imports.api import router as imports_router
from inspections.api import router as inspections_router
from movements.api import router as movements_router
from orgs.api import router as orgs_router
from people.api import router as people_router
from problems.api import router as problems_router
from reports.api import router as reports_router


class CleanJsonParser(Parser):
    """JSON bodies as the database can store them (see common.text.clean_text)."""

    def parse_body(self, request):
        return clean_json(json.loads(request.body))

    def parse_querydict(self, data, list_fields, request):
        return clean_json(super().parse_querydict(data, list_fields, request))


class ApiTokenAuth(HttpBearer):
    """Authorization: Bearer <personal or system token>; the token's scopes narrow what its user may do."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = DocumentedApi(
    title="CSDL CBCCVC API",
    version="1",
    description="Personnel database of the province: organization tree, catalogs, reorganizations, accounts, roles, personnel records "
                "and change sets, approval by digital signature, movements, deadlines and reminders, dashboards, data-quality findings, "
                "PAR scores, annual reports, inspections, problem reports, statistics, the Ministry's report forms, exports and signed exports.\n\n"
                "Lists are paged: `limit` (at most 1000) and `offset` in, `items` and `count` out. A JSON answer to a GET carries an `ETag`; "
                "send it back in `If-None-Match` and an unchanged answer is `304 Not Modified` with no body (files streamed from storage carry "
                "none). Each token (else each account, else each address) may make `API_RATE_LIMIT` requests a minute, and creating a token "
                "or verifying a PDF `API_RATE_LIMIT_SENSITIVE`; beyond it the answer is `429` with `Retry-After` in seconds.",
    auth=[ApiTokenAuth(), django_auth],
    urls_namespace="api-v1",
    parser=CleanJsonParser(),
)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return api.create_response(request, {"detail": str(exc), **exc.as_dict()}, status=400)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request, exc):
    return api.create_response(request, {"detail": _("The request body is too large.")}, status=413)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    audit_denied(request)
    return api.create_response(request, {"detail": str(exc) or "Permission denied"}, status=403)


api.add_router("/catalogs", catalogs_router)
api.add_router("/accounts", accounts_router)
api.add_router("/", orgs_router)
api.add_router("/", people_router)
api.add_router("/", approvals_router)
api.add_router("/", movements_router)
api.add_router("/", compliance_router)
api.add_router("/", inspections_router)
api.add_router("/", problems_router)
api.add_router("/", reports_router)
api.add_router("/", exchange_router)
api.add_router("/", imports_router)
api.add_router("/", backups_router)
api.add_router("/", audit_router)
