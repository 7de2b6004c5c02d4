"""Rate limits of the JSON API (R-18.2): requests a minute per token, else per account, else per client address.

Counted in the shared cache (settings.CACHES: a database table, or Redis), so every process and server sees the same counts.
Windows are the minutes of the clock: a client refused at 10:00:40 may try again at 10:01:00.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext as _

from audit.services import client_ip, record_refusal

WINDOW = 60
# Operations a stranger could use to guess (token creation, the public PDF verification) count against the lower limit too.
SENSITIVE = {("POST", "/api/v1/accounts/tokens"), ("POST", "/api/v1/verify-pdf")}
# The published description of the API is no data; clients and tools load it before they have a token.
EXEMPT = ("/api/v1/openapi.json", "/api/v1/docs")


def _bearer(request) -> str:
    scheme, _sep, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def identity(request) -> str:
    """Who is counted: the token (hashed: raw tokens never reach the cache), else the logged-in account, else the address."""
    token = _bearer(request)
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def _key(bucket: str, who: str, window: int) -> str:
    return f"api-rate:{bucket}:{who}:{window}"


def count(bucket: str, who: str) -> int:
    """Count one request in the current window; returns the count so far."""
    key = _key(bucket, who, int(time.time() // WINDOW))
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request, or the key just expired
        if cache.add(key, 1, WINDOW + 1):
            return 1
        return cache.incr(key)


def current(bucket: str, who: str) -> int:
    return cache.get(_key(bucket, who, int(time.time() // WINDOW)), 0)


def retry_after() -> int:
    return WINDOW - int(time.time()) % WINDOW


def refuse(request, bucket: str, who: str, limit: int) -> JsonResponse:
    """429 with Retry-After; the first refusal of a window is audited, not every one."""
    seconds = retry_after()
    message = _("Too many requests; try again in %(seconds)s seconds.") % {"seconds": seconds}
    if cache.add(_key(bucket, who, int(time.time() // WINDOW)) + ":refused", 1, WINDOW + 1):
        record_refusal(_actor(request), "api.rate_limited", reason=message, request=request,
                       details={"bucket": bucket, "limit": limit, "method": request.method, "path": request.path[:300]})
    response = JsonResponse({"detail": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _actor(request):
    from accounts.services import user_for_token

    token = _bearer(request)
    return user_for_token(token) if token else getattr(request, "user", None)


class ApiRateLimitMiddleware:
    """Refuses API requests over settings.API_RATE_LIMIT a minute (API_RATE_LIMIT_SENSITIVE for the operations in SENSITIVE, and
    for failed authentications from one address, so guessing tokens gets nowhere either)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") or request.path.startswith(EXEMPT):
            return self.get_response(request)
        who, address = identity(request), f"ip:{client_ip(request)}"
        if current("unauthenticated", address) >= settings.API_RATE_LIMIT_SENSITIVE:
            return refuse(request, "unauthenticated", address, settings.API_RATE_LIMIT_SENSITIVE)
        if count("all", who) > settings.API_RATE_LIMIT:
            return refuse(request, "all", who, settings.API_RATE_LIMIT)
        if (request.method, request.path) in SENSITIVE and count("sensitive", who) > settings.API_RATE_LIMIT_SENSITIVE:
            return refuse(request, "sensitive", who, settings.API_RATE_LIMIT_SENSITIVE)
        response = self.get_response(request)
        if response.status_code == 401:
            count("unauthenticated", address)
        return response
