"""The national sync over HTTP (R-11.1, R-13.2, R-18.4), with the pages' checks: status in the caller's scope, operating
for the officers of Sở Nội vụ in charge."""

import datetime
import json

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from accounts import authz
from common.api import DbId, ErrorOut, Pagination
from movements.models import Arrival
from people.models import Person
from people.services import require_view

from . import packets, services
from .models import Difference, Packet, Reconciliation

router = Router(tags=["exchange"])


class SyncStatusOut(Schema):
    totals: dict[str, int] = Field(description="records in office by the state of their latest packet; not_queued: signed or not, no packet")
    units: dict[int, dict[str, int]] = Field(description="the same per unit id")


class PacketOut(Schema):
    id: int
    person_id: int
    unit_id: int
    version: int = Field(alias="number")
    state: Packet.State
    attempts: int
    next_attempt_at: datetime.datetime
    last_error: str
    receipt: str
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None


class PacketIds(Schema):
    packet_ids: list[DbId] = Field(min_length=1, max_length=10_000)


class SyncCountOut(Schema):
    count: int


class ReconciliationOut(Schema):
    id: int
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    checked: int
    error: str


class DifferenceOut(Schema):
    id: int
    person_id: int | None
    unit_id: int | None
    kind: Difference.Kind
    ours: int | None = Field(description="the latest signed version here")
    theirs: int | None = Field(description="the version the national side holds")
    reason: str
    resent_at: datetime.datetime | None


class DifferenceIds(Schema):
    difference_ids: list[DbId] | None = Field(None, max_length=10_000, description="by default every difference not yet resent")


class BroughtInOut(Schema):
    id: int
    state: str
    person_id: int | None


@router.get("/exchange/status", response={200: SyncStatusOut, 403: ErrorOut}, summary="Records by sync state, in total and per unit")
def status(request, unit_id: DbId | None = None):
    authz.require(request.user, "exchange.view", unit_id)
    return services.unit_status(request.user, unit_id)


@router.get("/exchange/packets", response={200: list[PacketOut], 403: ErrorOut}, summary="Packets of the outbox, newest first")
@paginate(Pagination)
def packet_list(request, state: Packet.State | None = None, unit_id: DbId | None = None):
    authz.require(request.user, "exchange.view")
    return services.visible_packets(request.user, state=state or "", unit_id=unit_id)


@router.post("/exchange/packets/resend", response={200: SyncCountOut, 400: ErrorOut, 403: ErrorOut},
             summary="Send rejected or stopped packets again (Sở Nội vụ)")
def resend(request, payload: PacketIds):
    return {"count": services.resend(request.user, payload.packet_ids, request=request)}


@router.post("/exchange/send", response={200: SyncCountOut, 403: ErrorOut}, summary="Run the sender now; returns the packets due")
def send_now(request):
    return {"count": services.wake_now(request.user, request=request)}


@router.post("/exchange/queue-unsent", response={200: SyncCountOut, 403: ErrorOut},
             summary="Queue the signed versions that have no packet (the first campaign's, R-19.1)")
def queue_unsent(request):
    return {"count": services.queue_unsent(request.user, request=request)}


@router.get("/exchange/packet-schema", response={200: dict}, summary="The JSON Schema of the packets sent to the national database")
def packet_schema(request):
    return json.loads(packets.SCHEMA_PATH.read_text(encoding="utf-8"))


@router.get("/people/{person_id}/sync", response={200: PacketOut | None, 403: ErrorOut, 404: ErrorOut},
            summary="Where a record's latest signed version stands with the national database")
def person_sync(request, person_id: DbId):
    person = get_object_or_404(Person, pk=person_id)
    require_view(request.user, person, request)
    return services.record_status(person)


@router.get("/exchange/reconciliations", response={200: list[ReconciliationOut], 403: ErrorOut}, summary="Reconciliations, newest first")
@paginate(Pagination)
def reconciliation_list(request):
    authz.require(request.user, "exchange.view")
    return Reconciliation.objects.all()


@router.post("/exchange/reconciliations", response={202: ReconciliationOut, 400: ErrorOut, 403: ErrorOut},
             summary="Compare with what the national side holds, in the background (Sở Nội vụ)")
def reconcile(request):
    return 202, services.start_reconciliation(request.user, request=request)


@router.get("/exchange/reconciliations/{reconciliation_id}", response={200: ReconciliationOut, 403: ErrorOut, 404: ErrorOut},
            summary="A reconciliation")
def reconciliation_detail(request, reconciliation_id: DbId):
    authz.require(request.user, "exchange.view")
    return get_object_or_404(Reconciliation, pk=reconciliation_id)


@router.get("/exchange/reconciliations/{reconciliation_id}/differences", response={200: list[DifferenceOut], 403: ErrorOut, 404: ErrorOut},
            summary="A reconciliation's differences in the caller's scope")
@paginate(Pagination)
def difference_list(request, reconciliation_id: DbId):
    authz.require(request.user, "exchange.view")
    return services.visible_differences(request.user, get_object_or_404(Reconciliation, pk=reconciliation_id))


@router.post("/exchange/reconciliations/{reconciliation_id}/resend", response={200: SyncCountOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Send the differences' records again (Sở Nội vụ)")
def reconciliation_resend(request, reconciliation_id: DbId, payload: DifferenceIds):
    services.require_operator(request.user, "exchange.resend", request)
    reconciliation = get_object_or_404(Reconciliation, pk=reconciliation_id)
    return {"count": services.resend_differences(request.user, reconciliation, payload.difference_ids, request=request)}


@router.post("/arrivals/{arrival_id}/fetch-national", response={200: BroughtInOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Bring an approved arrival's record from the national database by citizen ID (Sở Nội vụ, R-8.3)")
def fetch_arrival(request, arrival_id: DbId):
    arrival = get_object_or_404(Arrival, pk=arrival_id)
    if not authz.can(request.user, "arrivals.decide", arrival.to_unit_id):
        raise PermissionDenied("Only Sở Nội vụ brings records in from the national database.")
    return services.fetch_for_arrival(request.user, arrival, request=request)
