"""The audit log over HTTP, for the auditors' tools (R-4.2, R-16.5): read only."""

import datetime

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from accounts import authz
from common.api import ErrorOut, Pagination
from orgs.services import unit_by_code

from . import services
from .models import AuditCheckpoint

router = Router(tags=["audit"])


class EventOut(Schema):
    id: int
    at: datetime.datetime
    actor: str | None = Field(None, alias="actor.username")
    action: str
    outcome: str
    object_type: str
    object_id: str
    unit_id: int | None
    ip_address: str | None
    details: dict
    chain_index: int | None = Field(description="the entry's place in the hash chain; null until the sealer links it")
    entry_hash: str


class CheckpointOut(Schema):
    made_at: datetime.datetime
    chain_index: int
    head_hash: str
    public_key: str = Field(description="Ed25519 public key (hex) of the installation's audit key")


@router.get("/audit/events", response={200: list[EventOut], 400: ErrorOut}, summary="Search the audit log in the caller's scope, newest first (R-4.2)")
@paginate(Pagination)
def events(request, person: int | None = Query(None, ge=1, le=2**62, description="record number"), user: str = Query("", max_length=150),
           unit: str = Query("", description="identifier code: the unit and the units under it"), action: str = Query("", max_length=64),
           since: datetime.date | None = None, until: datetime.date | None = None):
    return services.search_events(request.user, person_id=person, username=user, unit_id=unit_by_code(unit).pk if unit else None,
                                  action=action, since=since, until=until, request=request)


@router.get("/audit/checkpoints", response=list[CheckpointOut], summary="The signed daily checkpoints of the audit log's hash chain")
@paginate(Pagination)
def checkpoints(request):
    authz.require(request.user, "audit.view")
    return AuditCheckpoint.objects.all()
