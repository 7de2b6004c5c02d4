from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from audit.services import record

from . import authz

# Pages a user may reach while their password must change or their second factor is pending.
EXEMPT_PREFIXES = ("/login/", "/logout/", "/i18n/", "/static/", "/account/password/", "/account/2fa/")


class AccountStateMiddleware:
    """Ends sessions of locked or closed accounts and of sessions ended by an administrator; forces a password
    change after first login or a reset. Checked on every request, so it takes effect on the next one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            login_at = request.session.get("login_at", 0)
            if not user.usable or (user.sessions_valid_after and login_at < user.sessions_valid_after.timestamp()):
                logout(request)
                return self._refuse(request, _("Your session has ended. Please log in again."), "login")
            if not request.path.startswith(EXEMPT_PREFIXES):
                if user.must_change_password:
                    return self._refuse(request, _("Change your password before you continue."), "accounts:password_change")
                if settings.TWO_FACTOR_REQUIRED and not user.is_verified() and authz.requires_second_factor(user):
                    return self._refuse(request, _("Confirm your login with your second factor."), "accounts:2fa_verify")
        return self.get_response(request)

    @staticmethod
    def _refuse(request, message, url_name):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=401 if url_name == "login" else 403)
        return redirect(url_name)


class AuditDeniedMiddleware:
    """Every refused page request is audited: who tried what, from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit_denied(request)


def audit_denied(request) -> None:
    record(request.user, "access.denied", outcome="refused", details={"method": request.method, "path": request.path[:300]},
           request=request)
