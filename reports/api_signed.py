"""Signed exports over HTTP (R-9.5), with the same scope as the pages; the verification is public, as its page is."""

import dataclasses
import datetime

from django.conf import settings
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination
from common.errors import ServiceError, document_too_large

from . import documents, signed
from .models import SignedExport

router = Router(tags=["signed exports"])


class SignedExportOut(Schema):
    code: str = Field(description="the verification code printed under the document's QR code")
    kind: SignedExport.Kind
    title: str
    unit_id: int = Field(description="the issuing unit")
    subject: dict = Field(description="what was exported: the person and record version, or the unit and day")
    signer_name: str = Field(description="the common name of the competent person's certificate")
    seal_name: str = Field(description="the common name of the agency seal's certificate")
    signed_at: datetime.datetime
    size: int
    sha256: str = Field(description="SHA-256 of the signed file, hex")
    verification_url: str = Field(description="the public verification page, which the QR code encodes")

    @staticmethod
    def resolve_verification_url(obj):
        return signed.verification_url(obj.code)


class SignatureOut(Schema):
    field: str = Field(description="the signature field: ChuKyNguoiCoThamQuyen (the person), ChuKySoCoQuan (the agency seal)")
    signer_name: str
    signed_at: datetime.datetime | None = Field(description="the trusted timestamp's time when there is one, else the signer's own")
    timestamped: bool
    intact: bool = Field(description="the signed bytes are unchanged and the signature is the certificate's")
    trusted: bool = Field(description="the certificate chains to the trusted roots and was valid, not revoked, at the signing time")
    modified_after: bool = Field(description="the document was changed after this signature (beyond later signatures and validation data)")
    valid: bool
    problem: str


class PdfVerificationOut(Schema):
    valid: bool = Field(description="every signature is valid, and there is at least one")
    verdict: str
    sha256: str
    signatures: list[SignatureOut]
    registered: bool = Field(description="these very bytes were issued by this system")
    code: str | None = Field(description="the verification code they were issued under")


@router.post("/signed-exports", response={201: SignedExportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Sign and issue a document with legal value: the caller's PKCS#12 key, then the agency seal (multipart; R-9.5)")
def create_signed_export(request, kind: Form[SignedExport.Kind], p12: File[UploadedFile], password: Form[str] = "",
                         person_id: Form[DbId | None] = None, unit_id: Form[DbId | None] = None):
    document = documents.kind(kind)
    params = {document.param: person_id if document.param == "person_id" else unit_id}
    export = signed.sign_export(request.user, kind=kind, params=params, p12=p12.read(signed.MAX_KEY_BYTES + 1),
                                password=password.encode() or None, request=request)
    return Status(201, export)


@router.get("/signed-exports", response={200: list[SignedExportOut], 403: ErrorOut},
            summary="Signed exports of the units the caller signs or reads reports for, newest first")
@paginate(Pagination)
def list_signed_exports(request):
    signed.require_any_scope(request.user)
    return signed.visible_exports(request.user)


@router.get("/signed-exports/{code}", response={200: SignedExportOut, 403: ErrorOut, 404: ErrorOut}, summary="A signed export's metadata")
def get_signed_export(request, code: str):
    return signed.get_export(request.user, code, request)


@router.get("/signed-exports/{code}/file", response={200: None, 403: ErrorOut, 404: ErrorOut}, summary="The signed PDF (the download is audited)")
def signed_export_file(request, code: str):
    return signed.download_response(request.user, signed.get_export(request.user, code, request), request)


@router.post("/verify-pdf", auth=None, response={200: PdfVerificationOut, 400: ErrorOut},
             summary="Public: verify a signed PDF's signatures offline, and whether this system issued it (multipart, file in `file`)")
def verify_pdf(request, file: File[UploadedFile]):
    if file.size > settings.DOCUMENT_MAX_BYTES:
        raise ServiceError(document_too_large(), "file")
    result = signed.verify_pdf(file.read())
    return {"valid": result.valid, "verdict": result.verdict, "sha256": result.sha256,
            "signatures": [{**dataclasses.asdict(check), "valid": check.valid} for check in result.signatures],
            "registered": result.export is not None, "code": result.export.code if result.export else None}
