"""Writing audit events. Callers pass what happened; secrets never go into details."""

import contextlib
import datetime
import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from common.errors import ServiceError

from .models import AuditEvent


@functools.lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


def client_ip(request) -> str | None:
    """The client's address, for the audit log, login history, rate limits, lockouts (axes) and /metrics: the only place.

    The connection's address (REMOTE_ADDR), unless it is one of settings.TRUSTED_PROXIES (nginx, the load balancers): then
    X-Forwarded-For is walked from the right, past each trusted proxy, and the first address that is not one is the client.
    Only the proxies write the right end of the header; whatever the client sent stays to the left of the address its proxy
    appended, so it is never reached. A malformed entry where an address is needed ends the walk at REMOTE_ADDR: what lies
    left of it cannot be told apart from what the client wrote. A chain of trusted addresses only yields its left-most one."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR")
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    address = _address(remote or "") if trusted else None
    if address is None:
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    while any(address in network for network in trusted) and hops:
        address = _address(hops.pop())
        if address is None:
            return remote
    return str(address)


def record(actor, action: str, *, obj=None, unit_id: int | None = None, outcome: str = "ok", details: dict | None = None,
           request=None) -> AuditEvent:
    """Append an event."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(actor=actor, action=action, outcome=outcome, unit_id=unit_id, details=details or {},
                       ip_address=client_ip(request))
    if obj is not None:
        event.object_type, event.object_id = obj._meta.label_lower, str(obj.pk)
    event.save()
    return event


def record_many(actor, action: str, model, rows, *, request=None) -> int:
    """Append one event per (object id, unit id, details) row in bulk: a reorganization moving thousands of people."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    label, address = model._meta.label_lower, client_ip(request)
    events = [AuditEvent(actor=actor, action=action, object_type=label, object_id=str(pk), unit_id=unit_id, details=details,
                         ip_address=address) for pk, unit_id, details in rows]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def record_refusal(actor, action: str, *, reason: str, unit_id: int | None = None, details: dict | None = None, request=None):
    """Audit a refused attempt; call it after the refused transaction has rolled back, so the record survives."""
    return record(actor, action, unit_id=unit_id, outcome="refused", details={"reason": reason, **(details or {})}, request=request)


def require_allowed(actor, permission: str, action: str, message: str, request=None) -> None:
    """An action only some officers may take: anyone else is refused with `message`, and the attempt audited under `action`."""
    from accounts import authz

    if not authz.can(actor, permission):
        record_refusal(actor, action, reason="out of scope", request=request)
        raise PermissionDenied(message)


def refuse(actor, action: str, message: str, field: str | None = None, unit_id: int | None = None, request=None):
    """Refuse bad input: audit the refusal, then raise the message naming the field. Call it outside the transaction."""
    record_refusal(actor, action, reason=str(message), unit_id=unit_id, request=request)
    raise ServiceError(message, field)


@contextlib.contextmanager
def refusing(actor, action: str, unit_id: int | None, request=None):
    """A transaction whose refusals (ServiceError) are audited after it has rolled back, so the audit record survives."""
    try:
        with transaction.atomic():
            yield
    except ServiceError as exc:
        record_refusal(actor, action, reason=exc.message, unit_id=unit_id, request=request)
        raise


# ---- the auditors' search (R-4.2, R-16.5) ----

def search_events(user, *, person_id: int | None = None, username: str = "", unit_id: int | None = None, action: str = "",
                  since: datetime.date | None = None, until: datetime.date | None = None, request=None):
    """Events in the auditor's scope (events of no unit need a province-wide grant), newest first; the search is itself audited."""
    from accounts import authz
    from orgs.services import children_map, subtree_ids

    authz.require(user, "audit.view")
    found = authz.scope(user, "audit.view").filter(AuditEvent.objects.select_related("actor"))
    if person_id is not None:
        found = found.filter(object_type="people.person", object_id=str(person_id))
    if username:
        found = found.filter(actor__username=username)
    if unit_id is not None:
        found = found.filter(unit_id__in=subtree_ids([unit_id], children_map(timezone.localdate())))
    if action:
        found = found.filter(action__startswith=action)
    if since:
        found = found.filter(at__gte=_day_start(since))
    if until:
        found = found.filter(at__lt=_day_start(until + datetime.timedelta(days=1)))
    record(user, "audit.search", request=request, details={key: str(value) for key, value in
                                                           {"person": person_id, "user": username, "unit": unit_id, "action": action,
                                                            "since": since, "until": until}.items() if value})
    return found.order_by("-at", "-pk")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
