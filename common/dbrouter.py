"""Read queries of the read-heavy pages on a PostgreSQL streaming replica (DATABASE_REPLICA_URL; DESIGN.md, "Scale beyond one machine").

Only code that opts in with `replica_reads` reads from the replica: people search, statistics, standard forms, dashboards. Everything
else, every write and every read after a write uses the primary ("default"), because the replica replays the primary's changes a
moment later and a user must see what they just did.
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "cbccvc_primary_until"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _Reads:
    wrote = False


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


@contextmanager
def replica_reads():
    """Reads inside may go to the replica, until the first write: after it the rest reads from the primary. A decorator too."""
    if _reads.get() is not None:  # nested: one context, so a write in the inner one pins the outer one too
        yield
        return
    token = _reads.set(_Reads())
    try:
        yield
    finally:
        _reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _reads.get()
        # A transaction open on the primary must see its own writes; "default" explicitly, or Django would follow a hinted
        # instance read from the replica back there.
        if reads is None or reads.wrote or _pinned.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class PinToPrimaryMiddleware:
    """After a request that may have written (POST, PUT, PATCH, DELETE), the same client's requests read from the primary for
    REPLICA_PIN_SECONDS, the time the replica is given to replay the write: the page shown after a save has it.

    The pin is a cookie holding its end, not a session key or a cache entry: no query per request, and a client who forges one
    only sends their own reads to the primary. A client that keeps no cookies reads what the replica has, a moment behind."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            pinned = float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
        except ValueError:
            pinned = False
        token = _pinned.set(pinned)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if request.method in UNSAFE_METHODS:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(PIN_COOKIE, f"{time.time() + seconds:.3f}", max_age=seconds, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response
