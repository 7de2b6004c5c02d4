"""Approval by signature over HTTP: the round's lists, signing with a key, the two steps of an external signer, sending back."""

import base64
import binascii
import datetime
import hashlib

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination
from common.errors import ServiceError
from orgs.models import Unit
from people import services as people
from people.models import ChangeSet, Person

from . import services
from .models import ApprovalWindow, SigningBatch, VersionSignature
from .signing import SoftwareSigner

router = Router(tags=["approvals"])


class ItemOut(Schema):
    token: str = Field(description="names the item as listed; give it back to approve it. If the item changes, its token changes")
    person_id: int
    full_name: str
    unit_id: int
    change_set_id: int | None = Field(description="the submitted changes; null for a record never signed (first campaign)")
    submitted_at: datetime.datetime | None


class RoundOut(Schema):
    opens_on: datetime.date
    closes_on: datetime.date
    open_today: bool
    extra_rounds: list[dict]


class SignedOut(Schema):
    person_id: int
    version: int
    payload_hash: str
    signer: str


class BatchItemOut(Schema):
    id: int
    token: str
    person_id: int
    payload_hash: str = Field(description="SHA-256 of the canonical JSON of the version to be signed")
    to_be_signed: str = Field(description="base64 of the DER signed attributes: sign these bytes with SHA-256 (RSA PKCS#1 v1.5 or ECDSA)")
    digest: str = Field(description="SHA-256 of to_be_signed, hex, for tools that sign a hash")


class BatchOut(Schema):
    id: int
    state: str
    expires_at: datetime.datetime
    reason: str
    items: list[BatchItemOut]


class PrepareIn(Schema):
    items: list[str] = Field(min_length=1, max_length=services.MAX_BATCH)
    certificates: str = Field(max_length=64 * 1024, description="the signer's certificate, then its chain, in PEM")


class SignatureIn(Schema):
    item: DbId
    signature: str = Field(max_length=4096, description="base64 of the signature over the item's to_be_signed bytes")


class SignaturesIn(Schema):
    signatures: list[SignatureIn] = Field(max_length=services.MAX_BATCH)


class RejectIn(Schema):
    reasons: dict[str, str] = Field(default_factory=dict, description="field path (as in the change set's diff) -> what to correct")
    note: str = Field("", max_length=2000)


class RejectionOut(Schema):
    id: int
    change_set_id: int
    reasons: dict[str, str]
    note: str
    rejected_by_id: int
    rejected_at: datetime.datetime


class WindowIn(Schema):
    unit_id: DbId
    opens_on: datetime.date
    closes_on: datetime.date
    reason: str = Field(max_length=1000)


class WindowOut(Schema):
    id: int
    unit_id: int
    opens_on: datetime.date
    closes_on: datetime.date
    reason: str
    opened_by_id: int


class VerificationOut(Schema):
    valid: bool
    reason: str
    signer: str
    signed_at: datetime.datetime | None
    payload_hash: str
    previous_hash: str


def _require_approver(request) -> None:
    if not services.may_approve_somewhere(request.user):
        raise PermissionDenied(_("You are not allowed to approve records."))


def _signed(made: list[VersionSignature]) -> list[dict]:
    return [{"person_id": s.version.person_id, "version": s.version.number, "payload_hash": s.payload_hash, "signer": s.signer_subject}
            for s in made]


@router.get("/approvals/round", response=RoundOut, summary="This month's approval round: when it is open")
def round_info(request, unit_id: DbId | None = None):
    _require_approver(request)
    day = timezone.localdate()
    start, end = services.regular_window(day)
    extra = ApprovalWindow.objects.filter(opens_on__lte=day, closes_on__gte=day)
    if unit_id is not None:
        extra = services.extra_windows(unit_id, day)
    return {"opens_on": start, "closes_on": end, "open_today": start <= day <= end,
            "extra_rounds": [{"unit_id": w.unit_id, "opens_on": w.opens_on, "closes_on": w.closes_on, "reason": w.reason} for w in extra]}


class ApprovalStatusOut(Schema):
    unit_id: int
    day: datetime.date
    round_opens_on: datetime.date = Field(description="this month's regular round")
    round_closes_on: datetime.date
    open_today: bool = Field(description="the regular round or an extra round of the unit is open today")
    working: int = Field(description="records of the people at work in the unit and the units under it that the caller sees")
    signed: int = Field(description="of those, the records whose current version is signed")
    unsigned: int
    signed_this_month: int = Field(description="versions signed since the first day of the month")
    pending: int = Field(description="submitted changes awaiting approval")
    drafts: int = Field(description="changes still being written")


@router.get("/units/{unit_id}/approval-status", response=ApprovalStatusOut,
            summary="Where a unit and the units under it stand in this month's approval (R-7.1)")
def approval_status(request, unit_id: DbId):
    get_object_or_404(Unit, pk=unit_id)
    return services.unit_status(request.user, unit_id)


@router.get("/approvals/items", response=list[ItemOut], summary="What waits for the caller's approval")
@paginate(Pagination)
def items(request, unit_id: DbId | None = None, kind: str = Query("changes", pattern="^(changes|unsigned)$")):
    _require_approver(request)
    day = timezone.localdate()
    units = {unit_id} if unit_id else None
    if kind == "changes":
        return [{"token": services.Item(cs.person, cs).token, "person_id": cs.person_id, "full_name": cs.person.full_name,
                 "unit_id": cs.person.unit_id, "change_set_id": cs.pk, "submitted_at": cs.submitted_at}
                for cs in services.pending_changes(request.user, day, units)]
    return _UnsignedList(services.unsigned_people(request.user, day, units))


class _UnsignedList:
    """Rows built for the page only, so listing 100,000 unsigned records reads one page of them."""

    def __init__(self, queryset):
        self.queryset = queryset

    def __len__(self):
        return self.queryset.count()

    def __getitem__(self, part):
        return [{"token": services.version_token(p.pk, p.version), "person_id": p.pk, "full_name": p.full_name, "unit_id": p.unit_id,
                 "change_set_id": None, "submitted_at": None} for p in self.queryset[part]]


@router.post("/approvals/sign", response={200: list[SignedOut], 400: ErrorOut, 403: ErrorOut},
             summary="Approve and sign items with a PKCS#12 key (used once, not kept)")
def sign(request, items: Form[list[str]], p12: File[UploadedFile], password: Form[str] = ""):
    _require_approver(request)
    if p12.size > 1024 * 1024:
        raise ServiceError(_("Signing key: a PKCS#12 file is far smaller than this one."), "p12")
    try:
        signer = SoftwareSigner(p12.read(), password.encode() or None)
    except ValueError as exc:
        raise ServiceError(str(exc), "p12") from exc
    return _signed(services.approve(request.user, items, signer, request=request))


def _batch_out(batch: SigningBatch) -> dict:
    return {"id": batch.pk, "state": batch.state, "expires_at": batch.expires_at, "reason": batch.reason,
            "items": [{"id": row.pk, "token": row.token, "person_id": row.person_id, "payload_hash": row.payload_hash,
                       "to_be_signed": base64.b64encode(bytes(row.signed_attributes)).decode(),
                       "digest": hashlib.sha256(bytes(row.signed_attributes)).hexdigest()} for row in batch.items.all()]}


@router.post("/approvals/batches", response={201: BatchOut, 400: ErrorOut, 403: ErrorOut},
             summary="External signing, step 1: prepare what the approver's tool signs")
def prepare(request, payload: PrepareIn):
    _require_approver(request)
    return Status(201, _batch_out(services.prepare_batch(request.user, payload.items, payload.certificates, request=request)))


@router.get("/approvals/batches/{batch_id}", response=BatchOut, summary="A signing batch and what is to be signed")
def batch(request, batch_id: DbId):
    _require_approver(request)
    return _batch_out(get_object_or_404(SigningBatch, pk=batch_id, approver_id=request.user.pk))


@router.post("/approvals/batches/{batch_id}/signatures", response={200: list[SignedOut], 400: ErrorOut, 403: ErrorOut},
             summary="External signing, step 2: the signatures; checked, then the versions are approved")
def complete(request, batch_id: DbId, payload: SignaturesIn):
    _require_approver(request)
    found = get_object_or_404(SigningBatch, pk=batch_id, approver_id=request.user.pk)
    signatures = {}
    for entry in payload.signatures:
        try:
            signatures[entry.item] = base64.b64decode(entry.signature, validate=True)
        except binascii.Error as exc:
            raise ServiceError(_("Signature of item %(item)s: not base64.") % {"item": entry.item}, "signatures") from exc
    return _signed(services.complete_batch(request.user, found, signatures, request=request))


@router.post("/change-sets/{change_set_id}/reject", response={200: RejectionOut, 400: ErrorOut, 403: ErrorOut},
             summary="Send submitted changes back for correction, with a reason per field")
def reject(request, change_set_id: DbId, payload: RejectIn):
    change_set = get_object_or_404(ChangeSet.objects.select_related("person", "data_key", "author"), pk=change_set_id)
    people.require_view(request.user, change_set.person, request)
    return services.reject(request.user, change_set, reasons=payload.reasons, note=payload.note, request=request)


@router.get("/change-sets/{change_set_id}/rejections", response=list[RejectionOut], summary="The history of a change set's rejections")
def rejections(request, change_set_id: DbId):
    change_set = get_object_or_404(ChangeSet.objects.select_related("person"), pk=change_set_id)
    people.require_view(request.user, change_set.person, request)
    return list(change_set.rejections.all())


@router.post("/approvals/rounds", response={201: WindowOut, 400: ErrorOut, 403: ErrorOut},
             summary="Open an approval round outside the last days of the month (administrator, with a reason)")
def open_round(request, payload: WindowIn):
    return Status(201, services.open_window(request.user, unit_id=payload.unit_id, opens_on=payload.opens_on, closes_on=payload.closes_on,
                                            reason=payload.reason, request=request))


@router.get("/people/{person_id}/versions/{number}/signature", response={200: VerificationOut, 404: ErrorOut},
            summary="Verify a version's signature again, from the stored record")
def verification(request, person_id: DbId, number: int):
    person = get_object_or_404(Person, pk=person_id)
    people.require_view(request.user, person, request)
    stored = get_object_or_404(VersionSignature.objects.select_related("version"), version__person=person, version__number=number)
    result = services.verify_version(stored)
    return {"valid": result.valid, "reason": result.reason, "signer": stored.signer_subject, "signed_at": stored.signed_at,
            "payload_hash": stored.payload_hash, "previous_hash": stored.previous_hash}
