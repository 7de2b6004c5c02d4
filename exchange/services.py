"""Sync with the national database (R-11.1-11.3, R-13.2, R-18.4, R-19.1) and reading from it (R-8.3, R-9.1).

The sender claims due packets (a lease, so a worker that dies mid-send is replaced and nothing is lost), rebuilds each
body from the signed version and checks it against the hash that was signed, and sends them in one request. Transient
failures retry with exponential backoff until EXCHANGE_MAX_ATTEMPTS, then stop as "dead" for an operator; a packet the
national side rejects stops with its reason. A person's version n+1 waits until version n is acknowledged. The
idempotency key makes a resend after a crash harmless: the national side answers with its first receipt.
"""

import base64
import datetime
import random

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import authz
from approvals.models import VersionSignature
from approvals.services import UnitCodes, revocation_lists, trust_roots, version_payload
from approvals.signing import payload_hash, verify
from audit.services import record as audit
from audit.services import record_refusal, require_allowed
from common.errors import ServiceError
from movements import arrivals
from movements.models import Arrival
from orgs.services import subtree_ids
from people.form import BY_NAME
from people.models import Person

from . import adapters, packets
from .models import Difference, Packet, Reconciliation
from .outbox import enqueue

State = Packet.State
MAX_BACKOFF = datetime.timedelta(hours=6)


# ---- sending ----

def _due(now: datetime.datetime):
    """Packets to send now: due ones, and those whose sender's lease ran out; never ahead of an earlier unacknowledged one."""
    earlier = Packet.objects.filter(person_id=OuterRef("person_id"), number__lt=OuterRef("number")).exclude(state=State.ACKNOWLEDGED)
    return (Packet.objects.filter(Q(state=State.PENDING, next_attempt_at__lte=now) | Q(state=State.SENDING, lease_until__lt=now))
            .exclude(Exists(earlier)))


def claim(limit: int, now: datetime.datetime | None = None) -> list[int]:
    """Take up to `limit` due packets for this sender, under a lease; concurrent senders skip each other's."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(_due(now).select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:limit])
        Packet.objects.filter(pk__in=ids).update(state=State.SENDING, attempts=F("attempts") + 1,
                                                 lease_until=now + datetime.timedelta(seconds=settings.EXCHANGE_LEASE_SECONDS))
    return ids


def _bodies(ids: list[int], codes: UnitCodes) -> tuple[list[dict], dict[str, Packet], list[int]]:
    """The packets' bodies, rebuilt from their signed versions; a version that no longer hashes to what was signed is not sent."""
    rows = list(Packet.objects.filter(pk__in=ids).select_related("version__data_key", "version__signature").order_by("pk"))
    bodies, by_key, broken = [], {}, []
    today = timezone.localdate()
    for packet in rows:
        version, signature = packet.version, packet.version.signature
        payload = version_payload(version, signature.previous_hash, codes, packet.payload_hash)
        if payload_hash(payload) != packet.payload_hash:
            broken.append(packet.pk)
            continue
        bodies.append(packets.build(
            key=packet.key, agency_code=settings.EXCHANGE_AGENCY_CODE, person_id=version.person_id, version=version.number,
            unit_code=codes.code(version.unit_id, version.valid_from) or codes.code(version.unit_id, today), valid_from=version.valid_from,
            previous_hash=signature.previous_hash, payload=payload, signature=bytes(signature.signature), created_at=packet.created_at))
        by_key[packet.key] = packet
    return bodies, by_key, broken


def _backoff(attempts: int) -> datetime.timedelta:
    delay = datetime.timedelta(seconds=settings.EXCHANGE_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, so retries of many packets do not arrive together


def _failed(packet_ids, reason: str, now: datetime.datetime) -> None:
    for packet in Packet.objects.filter(pk__in=packet_ids, state=State.SENDING):
        if packet.attempts >= settings.EXCHANGE_MAX_ATTEMPTS:
            packet.state = State.DEAD
        else:
            packet.state, packet.next_attempt_at = State.PENDING, now + _backoff(packet.attempts)
        packet.last_error, packet.lease_until = reason[:2000], None
        packet.save(update_fields=["state", "next_attempt_at", "last_error", "lease_until"])


def _record_results(results: list[adapters.Result], by_key: dict[str, Packet], now: datetime.datetime) -> dict[str, int]:
    counts = {"acknowledged": 0, "sent": 0, "rejected": 0}
    for result in results:
        packet = by_key[result.packet_id]
        packet.sent_at, packet.lease_until, packet.receipt = now, None, result.receipt[:100]
        if result.status == adapters.ACKNOWLEDGED:
            packet.state, packet.acknowledged_at, packet.last_error = State.ACKNOWLEDGED, now, ""
        elif result.status == adapters.ACCEPTED:
            packet.state, packet.last_error = State.SENT, ""
        else:
            packet.state, packet.last_error = State.REJECTED, result.reason[:2000] or _("rejected without a reason")
        counts[packet.state if packet.state != State.SENT else "sent"] += 1
    Packet.objects.bulk_update(list(by_key.values()), ["state", "sent_at", "acknowledged_at", "lease_until", "receipt", "last_error"])
    return counts


def send_due(exchange: adapters.Exchange, *, limit: int | None = None, now: datetime.datetime | None = None) -> dict[str, int]:
    """One round: claim, build, send in one request, record each packet's outcome."""
    now = now or timezone.now()
    ids = claim(limit or settings.EXCHANGE_BATCH, now)
    counts = {"claimed": len(ids), "acknowledged": 0, "sent": 0, "rejected": 0, "failed": 0, "dead": 0}
    if not ids:
        return counts
    bodies, by_key, broken = _bodies(ids, UnitCodes())
    if broken:
        Packet.objects.filter(pk__in=broken).update(state=State.DEAD, lease_until=None,
                                                     last_error=_("The stored version no longer matches what was signed; it is not sent."))
        counts["dead"] += len(broken)
    invalid = {body["packet_id"]: problems for body in bodies if (problems := packets.problems(body))}
    for key, problems in invalid.items():
        packet = by_key.pop(key)
        Packet.objects.filter(pk=packet.pk).update(state=State.DEAD, lease_until=None, last_error="; ".join(problems)[:2000])
        counts["dead"] += 1
    bodies = [body for body in bodies if body["packet_id"] in by_key]
    if not bodies:
        return counts
    try:
        results = exchange.send(bodies)
    except adapters.Unavailable as exc:
        with transaction.atomic():
            _failed([packet.pk for packet in by_key.values()], str(exc), timezone.now())
        counts["failed"] = len(by_key)
        return counts
    with transaction.atomic():
        counts.update({k: counts[k] + v for k, v in _record_results(results, by_key, timezone.now()).items()})
    return counts


def send_all(exchange: adapters.Exchange | None = None) -> dict[str, int]:
    """Rounds until nothing is due or the national side fails; the worker's task."""
    if exchange is None and not adapters.configured():
        return {"claimed": 0}
    exchange = exchange or adapters.connect()
    total: dict[str, int] = {}
    try:
        while True:
            counts = send_due(exchange)
            total = {k: total.get(k, 0) + v for k, v in counts.items()}
            if not counts["claimed"] or counts["failed"]:
                break
    finally:
        exchange.close()
    if total.get("claimed"):
        audit(None, "exchange.send", details=total)
    return total


def next_due() -> datetime.datetime | None:
    """When the sender must run again: the earliest retry, or a lease that will run out."""
    if not adapters.configured():
        return None
    earliest = Packet.objects.filter(state=State.PENDING).order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    leased = Packet.objects.filter(state=State.SENDING).order_by("lease_until").values_list("lease_until", flat=True).first()
    found = [at for at in (earliest, leased) if at is not None]
    return min(found) if found else None


# ---- status ----

def record_status(person: Person) -> Packet | None:
    """The person's latest packet: where their last signed version stands with the national database."""
    return person.packets.order_by("-number").first()


NOT_QUEUED = "not_queued"


def unit_status(user, unit_id: int | None = None) -> dict:
    """People in office in the user's scope (under `unit_id` when given), by the state of their latest packet, and the same per unit."""
    scope = authz.scope(user, "exchange.view")
    people = scope.filter(Person.objects.exclude(status__in=Person.CLOSED).filter(version__gt=0))
    if unit_id is not None:
        people = people.filter(unit_id__in=subtree_ids([unit_id], authz.tree_children(user, timezone.localdate())))
    # Each person's latest packet is the one no later packet of theirs follows: an anti-join the database hashes, where a
    # subquery per person took half a second at 100,000 people. Those with no packet are the rest of their unit.
    latest = (Packet.objects.filter(person__in=people).exclude(Exists(Packet.objects.filter(person_id=OuterRef("person_id"),
                                                                                             number__gt=OuterRef("number"))))
              .values_list("person__unit_id", "state").annotate(n=Count("pk")).order_by())
    totals: dict[str, int] = {}
    by_unit: dict[int, dict[str, int]] = {}
    for unit, state, n in latest:
        totals[state] = totals.get(state, 0) + n
        by_unit.setdefault(unit, {})[state] = n
    for unit, n in people.values_list("unit_id").annotate(n=Count("pk")).order_by():
        missing = n - sum(by_unit.get(unit, {}).values())
        if missing:
            totals[NOT_QUEUED] = totals.get(NOT_QUEUED, 0) + missing
            by_unit.setdefault(unit, {})[NOT_QUEUED] = missing
    return {"totals": totals, "units": by_unit}


def sync_summary(user, unit_id: int) -> dict[str, int] | None:
    """The dashboards' tile: of the unit's records in office, how many the national side acknowledged, how many are on their
    way and how many are stuck (rejected or stopped); None for a user who does not see the sync."""
    if not authz.can(user, "exchange.view", unit_id):
        return None
    totals = unit_status(user, unit_id)["totals"]
    return {"acknowledged": totals.get(State.ACKNOWLEDGED, 0),
            "waiting": sum(totals.get(state, 0) for state in (State.PENDING, State.SENDING, State.SENT)),
            "stuck": sum(totals.get(state, 0) for state in Packet.STUCK)}


def visible_packets(user, *, state: str = "", unit_id: int | None = None):
    packets_seen = authz.scope(user, "exchange.view").filter(Packet.objects.select_related("person", "unit"))
    if state:
        packets_seen = packets_seen.filter(state=state)
    if unit_id:
        packets_seen = packets_seen.filter(unit_id=unit_id)
    return packets_seen.order_by("-pk")


# ---- operating (R-13.2) ----

def require_operator(actor, action: str, request=None) -> None:
    require_allowed(actor, "exchange.operate", action, _("Only the officers of Sở Nội vụ in charge of the national sync operate it."), request)


def resend(actor, packet_ids: list[int], *, request=None) -> int:
    """An operator sends stopped packets (rejected or dead) again, after fixing the cause; the key stays, so it is idempotent."""
    action = "exchange.resend"
    require_operator(actor, action, request)
    with transaction.atomic():
        chosen = Packet.objects.select_for_update().filter(pk__in=packet_ids)
        if chosen.exclude(state__in=Packet.STUCK).exists():
            raise ServiceError(_("Only rejected or stopped packets can be sent again."), "packets")
        count = chosen.update(state=State.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None)
        audit(actor, action, details={"packets": sorted(packet_ids)[:1000], "count": count}, request=request)
    transaction.on_commit(_wake)
    return count


def wake_now(actor, *, request=None) -> int:
    """An operator has the sender run now rather than at its next retry; returns how many packets are due."""
    action = "exchange.send_now"
    require_operator(actor, action, request)
    due = _due(timezone.now()).count()
    audit(actor, action, details={"due": due}, request=request)
    transaction.on_commit(_wake)
    return due


def queue_unsent(actor, person_ids: list[int] | None = None, *, request=None) -> int:
    """Packets for signed versions that have none (signed before the exchange existed, or a person the national side lost),
    in version order: the first campaign's records (R-19.1) reach the national database this way."""
    action = "exchange.queue"
    require_operator(actor, action, request)
    with transaction.atomic():
        unsent = VersionSignature.objects.filter(version__packet__isnull=True).select_related("version").order_by("version__person_id", "version__number")
        if person_ids is not None:
            unsent = unsent.filter(version__person_id__in=person_ids)
        made = enqueue(list(unsent))
        audit(actor, action, details={"count": len(made)}, request=request)
    return len(made)


def _wake():
    from .tasks import wake_sender

    wake_sender()


# ---- reconciliation (R-11.1, R-18.4) ----

def start_reconciliation(actor, *, request=None) -> Reconciliation:
    action = "exchange.reconcile"
    require_operator(actor, action, request)
    if not adapters.configured():
        raise ServiceError(_("The connection to the national database is not configured (EXCHANGE_URL)."), "exchange")
    reconciliation = Reconciliation.objects.create(started_by=actor)
    audit(actor, action, obj=reconciliation, request=request)
    from .tasks import reconcile

    transaction.on_commit(lambda: reconcile.enqueue(reconciliation.pk))
    return reconciliation


def _theirs(exchange: adapters.Exchange) -> dict[int, tuple[int, str]]:
    """source id -> (latest version, its payload hash), as the national side holds them."""
    held: dict[int, tuple[int, str]] = {}
    after = 0
    while True:
        items, after = exchange.acknowledged(after)
        for item in items:
            source, version = int(item["source_id"]), int(item["version"])
            if version >= held.get(source, (0, ""))[0]:
                held[source] = (version, str(item["payload_hash"]))
        if after is None:
            return held


def run_reconciliation(reconciliation: Reconciliation, exchange: adapters.Exchange | None = None) -> int:
    """Compare each signed record's latest version with the national side's; list the differences per unit."""
    exchange = exchange or adapters.connect()
    try:
        theirs = _theirs(exchange)
    except adapters.Unavailable as exc:
        reconciliation.error, reconciliation.finished_at = str(exc), timezone.now()
        reconciliation.save(update_fields=["error", "finished_at"])
        return 0
    finally:
        exchange.close()
    ours = {row["version__person_id"]: row for row in VersionSignature.objects.values("version__person_id").annotate(
        number=Max("version__number")).values("version__person_id", "number")}
    hashes = dict(VersionSignature.objects.filter(
        version__number=Subquery(VersionSignature.objects.filter(version__person_id=OuterRef("version__person_id"))
                                 .order_by("-version__number").values("version__number")[:1]))
        .values_list("version__person_id", "payload_hash"))
    people = dict(Person.objects.filter(pk__in=set(ours) | set(theirs)).values_list("pk", "unit_id"))
    latest_packets = {p.person_id: p for p in Packet.objects.filter(person_id__in=ours).order_by("person_id", "number")}
    differences = []
    for person_id, row in ours.items():
        number, held = row["number"], theirs.get(person_id)
        packet = latest_packets.get(person_id)
        base = {"reconciliation": reconciliation, "person_id": person_id, "unit_id": people.get(person_id), "ours": number}
        if packet is not None and packet.number == number and packet.state == State.REJECTED:
            differences.append(Difference(**base, kind=Difference.Kind.REJECTED, theirs=held[0] if held else None, reason=packet.last_error))
        elif held is None:
            differences.append(Difference(**base, kind=Difference.Kind.MISSING))
        elif held[0] < number or (held[0] == number and held[1] != hashes.get(person_id)):
            differences.append(Difference(**base, kind=Difference.Kind.OUTDATED, theirs=held[0]))
    for person_id, (version, _digest) in theirs.items():
        if person_id not in ours or version > ours[person_id]["number"]:
            differences.append(Difference(reconciliation=reconciliation, person_id=person_id if person_id in people else None,
                                          unit_id=people.get(person_id), kind=Difference.Kind.UNKNOWN, ours=ours.get(person_id, {}).get("number"),
                                          theirs=version))
    with transaction.atomic():
        Difference.objects.bulk_create(differences, batch_size=1000)
        # What the national side lists was received: packets still awaiting their acknowledgement have it now.
        acknowledged = [p.pk for p in latest_packets.values() if p.state == State.SENT and theirs.get(p.person_id, (0,))[0] >= p.number]
        Packet.objects.filter(pk__in=acknowledged).update(state=State.ACKNOWLEDGED, acknowledged_at=timezone.now())
        reconciliation.checked, reconciliation.finished_at = len(ours), timezone.now()
        reconciliation.save(update_fields=["checked", "finished_at"])
    return len(differences)


def visible_differences(user, reconciliation: Reconciliation):
    return authz.scope(user, "exchange.view").filter(reconciliation.differences.select_related("person", "unit"))


def resend_differences(actor, reconciliation: Reconciliation, difference_ids: list[int] | None = None, *, request=None) -> int:
    """The one-click resend: every chosen difference's record goes again, from the first version the national side lacks."""
    action = "exchange.resend"
    require_operator(actor, action, request)
    chosen = reconciliation.differences.exclude(kind=Difference.Kind.UNKNOWN).filter(resent_at__isnull=True, person__isnull=False)
    if difference_ids is not None:
        chosen = chosen.filter(pk__in=difference_ids)
    with transaction.atomic():
        rows = list(chosen.select_for_update())
        count = 0
        for difference in rows:
            stale = Packet.objects.filter(Q(number__gt=difference.theirs or 0) | Q(state__in=Packet.STUCK), person_id=difference.person_id)
            count += stale.update(state=State.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None)
        unsent = VersionSignature.objects.filter(version__packet__isnull=True, version__person_id__in=[d.person_id for d in rows])
        count += len(enqueue(list(unsent.select_related("version").order_by("version__person_id", "version__number"))))
        chosen.filter(pk__in=[d.pk for d in rows]).update(resent_at=timezone.now())
        audit(actor, action, obj=reconciliation, details={"differences": len(rows), "packets": count}, request=request)
    transaction.on_commit(_wake)
    return count


# ---- inbound (R-8.3, R-9.1) ----

def national_record(packet) -> dict:
    """The record's sections from a national packet, checked: the published schema, the hash, the approval signature."""
    problems = packets.problems(packet) if isinstance(packet, dict) else [_("not a JSON object")]
    if problems:
        raise ServiceError(_("The national record is malformed: %(problems)s") % {"problems": "; ".join(problems[:3])}, "national")
    signed = packets.signed_bytes(packet)
    if payload_hash(signed) != packet["record"]["payload_hash"]:
        raise ServiceError(_("The national record does not match its approval signature."), "national")
    result = verify(signed, base64.b64decode(packet["signature"]), list(trust_roots()), crls=revocation_lists())
    if not result.valid:
        raise ServiceError(_("The national record's approval signature is not valid: %(reason)s") % {"reason": result.reason}, "national")
    return {name: value for name, value in packet["payload"]["record"].items() if name in BY_NAME}


def fetch_for_arrival(actor, arrival: Arrival, exchange: adapters.Exchange | None = None, *, request=None) -> Arrival:
    """Sở Nội vụ brings an approved arrival's record from the national database by citizen ID: it opens as a change set that
    the person checks (R-8.3c) and the head approves."""
    action = "exchange.fetch"
    if not authz.can(actor, "arrivals.decide", arrival.to_unit_id):
        record_refusal(actor, action, reason="out of scope", unit_id=arrival.to_unit_id, request=request)
        raise PermissionDenied(_("Only Sở Nội vụ brings records in from the national database."))
    if not adapters.configured() and exchange is None:
        raise ServiceError(_("The connection to the national database is not configured (EXCHANGE_URL)."), "exchange")
    exchange = exchange or adapters.connect()
    try:
        try:
            packet = exchange.fetch(arrivals.citizen_id(arrival))
        except adapters.Unavailable as exc:
            raise ServiceError(str(exc), "exchange") from exc
        finally:
            exchange.close()
        if packet is None:
            raise ServiceError(_("The national database holds no record for this citizen ID; attach the record file received."), "national")
        sections = national_record(packet)
    except ServiceError as exc:
        record_refusal(actor, action, reason=exc.message, unit_id=arrival.to_unit_id, request=request)
        raise
    audit(actor, action, obj=arrival, unit_id=arrival.to_unit_id, request=request,
          details={"receipt_version": packet["record"]["version"], "from_unit": packet["record"]["unit_code"]})
    return arrivals.bring_in(actor, arrival, record=sections, request=request)
