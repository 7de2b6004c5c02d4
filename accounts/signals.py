import time

from django.contrib.auth import get_user_model

from audit.services import client_ip, record

from .models import LoginEvent


def _agent(request) -> str:
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300]


def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session["login_at"] = time.time()
    LoginEvent.objects.create(user=user, username=user.username, success=True, ip_address=client_ip(request), user_agent=_agent(request))
    record(user, "accounts.login", obj=user, unit_id=user.unit_id, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    LoginEvent.objects.create(user=user, username=username, success=False, ip_address=client_ip(request), user_agent=_agent(request))
    record(None, "accounts.login", outcome="refused", details={"username": username}, request=request)
