"""Signed exports with legal value (R-9.5): a document exported for official use, signed by the competent person and
sealed with the agency's digital signature, has the legal value of the paper original.

The document is signed twice, as PDF (PAdES): first by the competent person with their own key (a PKCS#12 file used once in
memory, never stored), a certification signature that lets only the seal follow; then by the agency's seal (the
organization certificate of the issuing unit or of its nearest ancestor, SEAL_DIR/<identifier code>.p12), whose field locks
the document, so any later change shows. Before signing, a stamp area is drawn on the last page (on a page added for it
when the last one has no room): a QR code and the address and code of the public verification page, and the boxes of both
signatures with who signed and when. Both signatures carry their certificate chains, and the revocation lists they were
checked against (APPROVAL_CRL_DIR) go into the document security store, so the file verifies offline years later; with
APPROVAL_TSA_URL set, both are timestamped.
"""

import asyncio
import datetime
import hashlib
import io
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import segno
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content_stream_parser import parse_content_stream
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import NonexistentAttributeError, SigningError, find_unique_cms_attribute
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from accounts import authz
from approvals.services import certificate_refusal, revocation_lists, trust_roots
from approvals.signing import PATH_ERRORS, path_problem
from audit.services import record as audit
from audit.services import record_refusal
from common.errors import ServiceError
from orgs.services import ancestors_on, versions_on

from . import documents
from .models import SignedExport

ACTION = "reports.sign_export"
# No I, L, O, 0 or 1: the code is read from paper and typed. 20 of 31 symbols: about 99 bits, not guessable.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 20
PERSON_FIELD, SEAL_FIELD = "ChuKyNguoiCoThamQuyen", "ChuKySoCoQuan"
KEY_USAGE = {"digital_signature"}  # as approvals ask of a signer's certificate
MAX_KEY_BYTES = 1024 * 1024

# The stamp area, in mm: its height; its left and right margins (and top margin on an added page); how far its bottom edge
# stays above the page's, clear of a footer; what a page draws lower than FOOTER is its footer; the gap above the area.
BAND, MARGIN, ABOVE_BOTTOM, FOOTER, GAP = 38, 15, 18, 15, 4
PT = 72 / 25.4  # points per mm
FONT = "DejaVu"


# ---- codes ----

def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    """A code as typed from paper: case, spaces and dashes do not matter."""
    return "".join(c for c in (text or "").upper() if c not in " -")[:64]


def verification_url(code: str) -> str:
    return settings.PUBLIC_URL + reverse("reports:verify_code", args=[code])


# ---- trust ----

def _run(coroutine):
    """pyHanko is asynchronous: its coroutines run on a thread of their own, so a caller whose thread already runs an event
    loop (an ASGI worker, a Playwright test) signs and verifies too. Nothing there touches the database."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@lru_cache(maxsize=4)
def _asn1_roots(roots: tuple[x509.Certificate, ...]) -> tuple[asn1_x509.Certificate, ...]:
    return tuple(asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER)) for root in roots)


def _roots() -> list[asn1_x509.Certificate]:
    return list(_asn1_roots(trust_roots()))


def _crls() -> list[asn1_crl.CertificateList]:
    return [asn1_crl.CertificateList.load(der) for der in revocation_lists()]


def _context(roots, crls=(), moment: datetime.datetime | None = None, dss: DocumentSecurityStore | None = None) -> ValidationContext:
    """Our trust roots, the revocation data given, nothing fetched. Soft-fail: a certificate declaring a CRL or OCSP
    responder is checked against the data given, as approvals are. Retroactive: revocation data published after `moment`
    still tells whether the certificate was revoked at `moment`."""
    options = {"trust_roots": roots, "crls": list(crls), "allow_fetching": False, "revocation_mode": "soft-fail", "moment": moment,
               "retroactive_revinfo": True}
    return dss.as_validation_context(options) if dss is not None else ValidationContext(**options)


async def _path_problem(certificate: asn1_x509.Certificate, others, context: ValidationContext) -> str | None:
    """Why the certificate cannot sign now, if it cannot: its path to our roots, validity, revocation and key usage."""
    try:
        await CertificateValidator(certificate, intermediate_certs=list(others), validation_context=context).async_validate_usage(KEY_USAGE)
    except PATH_ERRORS as exc:
        return path_problem(exc)
    return None


def _common_name(certificate: asn1_x509.Certificate) -> str:
    name = certificate.subject.native.get("common_name")
    if isinstance(name, list):
        name = ", ".join(name)
    return (name or certificate.subject.human_friendly)[:300]


# ---- who signs ----

def _open_key(p12: bytes, password: bytes | None) -> signers.SimpleSigner:
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, [], passphrase=password)
    except (ValueError, TypeError, AttributeError) as exc:  # a file without a key fails past pyHanko's own check
        raise ServiceError(_("Signing key: the file cannot be opened (wrong password, or not a PKCS#12 file)."), "p12") from exc
    return signer


def competent_signer(user, p12: bytes, password: bytes | None) -> signers.SimpleSigner:
    """The signer of a PKCS#12 key whose certificate names this user, as an approval's must (approvals.services)."""
    if len(p12) > MAX_KEY_BYTES:
        raise ServiceError(_("Signing key: the file cannot be opened (wrong password, or not a PKCS#12 file)."), "p12")
    signer = _open_key(p12, password)
    refusal = certificate_refusal(user, x509.load_der_x509_certificate(signer.signing_cert.dump()))
    if refusal:
        raise ServiceError(_("Signing key: %(problem)s") % {"problem": refusal}, "p12")
    return signer


@dataclass(frozen=True)
class Seal:
    """An agency's seal: the organization certificate and key of a unit, from SEAL_DIR/<identifier code>.p12."""

    unit_id: int
    unit_name: str
    signer: signers.SimpleSigner

    @property
    def name(self) -> str:
        return _common_name(self.signer.signing_cert)


def seal_for(unit_id: int) -> Seal:
    """The seal of the unit, or of its nearest ancestor that has one."""
    day = timezone.localdate()
    chain = [unit_id, *reversed([version.unit_id for version in ancestors_on(unit_id, day)])]
    versions = {v.unit_id: v for v in versions_on(day).filter(unit_id__in=chain).only("unit_id", "code", "name")}
    for candidate in chain:
        version = versions.get(candidate)
        path = settings.SEAL_DIR / f"{version.code}.p12" if version and version.code else None
        if path and path.is_file():
            if not settings.SEAL_PASSWORD:
                raise ServiceError(_("The agency seals cannot be opened: SEAL_PASSWORD is not set."), "seal")
            try:
                signer = signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), [], passphrase=settings.SEAL_PASSWORD.encode())
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                raise ServiceError(_("The seal of %(unit)s (%(file)s) cannot be opened: wrong SEAL_PASSWORD, or not a PKCS#12 file.")
                                   % {"unit": version.name, "file": path.name}, "seal") from exc
            return Seal(candidate, version.name, signer)
    name = versions[unit_id].name if unit_id in versions else str(unit_id)
    raise ServiceError(_("The agency %(unit)s has no agency digital signature yet (its seal file in SEAL_DIR).") % {"unit": name}, "seal")


async def _trust_problems(person: signers.SimpleSigner, seal: Seal, roots, crls) -> tuple[str | None, str | None]:
    return (await _path_problem(person.signing_cert, person.cert_registry, _context(roots, crls)),
            await _path_problem(seal.signer.signing_cert, seal.signer.cert_registry, _context(roots, crls)))


def can_sign(user, unit_id: int) -> bool:
    return authz.can(user, "reports.sign", unit_id)


def require_signer(user, unit_id: int, request=None) -> None:
    if not can_sign(user, unit_id):
        record_refusal(user, ACTION, reason="out of scope", unit_id=unit_id, request=request)
        raise PermissionDenied(_("You are not allowed to sign documents for this unit."))


# ---- the stamp area ----

def _lowest_mark(page) -> float | None:
    """The lowest height, in points, at which the page draws something above its footer (infinity when it draws nothing
    there), following text positions, paths and images through the transformations' vertical scale and shift; None when
    its content cannot be followed, and the stamp area then gets a page of its own."""
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None  # the page's own entries are references
    parts = [part.get_object() for part in contents] if isinstance(contents, generic.ArrayObject) else [contents] if contents else []
    lowest, scale, shift, text_y, saved = float("inf"), 1.0, 0.0, 0.0, []

    def mark(*heights):
        nonlocal lowest
        for height in heights:
            y = scale * float(height) + shift
            if y >= FOOTER * PT:
                lowest = min(lowest, y)

    try:
        for op in parse_content_stream(parts):
            args = op.args
            if op.op == "q":
                saved.append((scale, shift))
            elif op.op == "Q" and saved:
                scale, shift = saved.pop()
            elif op.op == "cm":
                scale, shift = scale * float(args[3]), scale * float(args[5]) + shift
            elif op.op == "BT":
                text_y = 0.0
            elif op.op in ("Td", "TD"):
                text_y += float(args[1])
            elif op.op == "Tm":
                text_y = float(args[5])
            elif op.op in ("Tj", "TJ", "'", '"'):
                mark(text_y)
            elif op.op == "re":
                mark(args[1], float(args[1]) + float(args[3]))
            elif op.op in ("m", "l", "c", "v", "y"):
                mark(*args[1::2])
            elif op.op == "Do":  # an image or a form: the unit square under the current matrix
                mark(0, 1)
    except Exception:  # any content pyHanko's parser refuses: the stamp gets its own page
        return None
    return lowest


def _place(writer: IncrementalPdfFileWriter) -> tuple[int | None, list[float], float]:
    """Where the stamp area goes: the last page's index (None: a page added after it), that page's media box, and the top
    of the area in mm from the top of the page."""
    last = int(writer.root["/Pages"]["/Count"]) - 1
    page_ref, _resources = writer.find_page_for_modification(last)
    page = page_ref.get_object()
    box = [float(v) for v in find_inherited_value_in_tree(page, "/MediaBox", "/Parent")]
    height = box[3] - box[1]
    lowest = _lowest_mark(page)
    if lowest is not None and lowest - GAP * PT >= (ABOVE_BOTTOM + BAND) * PT:
        return last, box, height / PT - ABOVE_BOTTOM - BAND
    return None, box, MARGIN


def _stamp(width: float, height: float, top: float, *, url: str, code: str, signer_name: str, seal_name: str,
           signed_at: datetime.datetime) -> tuple[bytes, tuple, tuple]:
    """The stamp area alone on a page of the given size (points): the QR code of the verification page, its address and
    code, and the boxes of both signatures; with the two boxes' rectangles in points, where the signature fields go."""
    pdf = FPDF(unit="mm", format=(width / PT, height / PT))
    fonts = settings.BASE_DIR / "data" / "fonts"
    pdf.add_font(FONT, "", fonts / "DejaVuSans.ttf")  # one font: each costs a tenth of a second to load
    pdf.set_auto_page_break(False)
    pdf.add_page()
    inner = width / PT - 2 * MARGIN
    pdf.set_draw_color(90)
    pdf.set_line_width(0.2)
    pdf.rect(MARGIN, top, inner, BAND)
    side = BAND - 6
    matrix = segno.make(url, error="m").matrix
    module = side / len(matrix)
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if dark:
                pdf.rect(MARGIN + 3 + column * module, top + 3 + row * module, module, module, style="F")
    text_x, text_width = MARGIN + side + 7, inner - side - 10
    pdf.set_font(FONT, "", 8)
    pdf.set_xy(text_x, top + 2.5)
    pdf.multi_cell(text_width, 3.6, f"Văn bản điện tử ký số – tra cứu tại {url}, mã {code}", align="L")
    when = f"Thời gian ký: {timezone.localtime(signed_at):%d/%m/%Y %H:%M}"
    box_top, box_height, box_width = top + 15, BAND - 18, (text_width - 3) / 2
    rectangles = []
    for index, (title, lines) in enumerate((("NGƯỜI CÓ THẨM QUYỀN KÝ", [f"Ký bởi: {signer_name}", when]),
                                            ("CHỮ KÝ SỐ CỦA CƠ QUAN", [seal_name, when]))):
        x = text_x + index * (box_width + 3)
        pdf.rect(x, box_top, box_width, box_height)
        pdf.set_xy(x + 1.5, box_top + 1.5)
        pdf.set_font(FONT, "", 7)
        for line in (title, *lines):
            pdf.multi_cell(box_width - 3, 3.4, line[:90], align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        rectangles.append((round(x * PT), round(height - (box_top + box_height) * PT), round((x + box_width) * PT), round(height - box_top * PT)))
    return bytes(pdf.output()), rectangles[0], rectangles[1]


def _draw(writer: IncrementalPdfFileWriter, stamp: bytes, page_index: int | None, box: list[float]) -> int:
    """Paint the stamp page over the last page, or on a page added after it; the index of the page it is on."""
    xobject = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(stamp)))
    resources = generic.DictionaryObject({pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/SignedExportStamp"): xobject})})
    paint = writer.add_object(generic.StreamObject(stream_data=b"q 1 0 0 1 %.2f %.2f cm /SignedExportStamp Do Q" % (box[0], box[1])))
    if page_index is not None:
        writer.add_stream_to_page(page_index, paint, resources)
        return page_index
    writer.insert_page(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Page"), pdf_name("/MediaBox"): generic.ArrayObject(generic.FloatObject(v) for v in box),
        pdf_name("/Resources"): resources, pdf_name("/Contents"): paint,
    }))
    return int(writer.root["/Pages"]["/Count"]) - 1


# ---- signing ----

def _metadata(field: str, roots, crls, *, certify: bool) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=field, subfilter=SigSeedSubFilter.PADES, embed_validation_info=True, validation_context=_context(roots, crls),
        signer_key_usage=KEY_USAGE, certify=certify, docmdp_permissions=MDPPerm.FILL_FORMS if certify else MDPPerm.NO_CHANGES,
        reason="Người có thẩm quyền ký" if certify else "Chữ ký số của cơ quan", location="Việt Nam")


async def _sign_both(writer: IncrementalPdfFileWriter, person: signers.SimpleSigner, seal: Seal, roots, crls) -> bytes:
    timestamper = HTTPTimeStamper(settings.APPROVAL_TSA_URL) if settings.APPROVAL_TSA_URL else None
    style = StaticStampStyle(border_width=0)  # the boxes were drawn in the stamp area, under both signatures
    signed = await signers.PdfSigner(_metadata(PERSON_FIELD, roots, crls, certify=True), person, timestamper=timestamper,
                                     stamp_style=style).async_sign_pdf(writer, existing_fields_only=True)
    sealed = await signers.PdfSigner(_metadata(SEAL_FIELD, roots, crls, certify=False), seal.signer, timestamper=timestamper,
                                     stamp_style=style).async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(signed.getvalue())),
                                                                       existing_fields_only=True)
    return sealed.getvalue()


def signed_pdf(pdf: bytes, *, code: str, person: signers.SimpleSigner, seal: Seal, signed_at: datetime.datetime, roots, crls) -> bytes:
    """The document with its stamp area, signed by the person, then sealed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_index, box, top = _place(writer)
    stamp, person_box, seal_box = _stamp(box[2] - box[0], box[3] - box[1], top, url=verification_url(code), code=code,
                                         signer_name=_common_name(person.signing_cert), seal_name=seal.name, signed_at=signed_at)
    on_page = _draw(writer, stamp, page_index, box)
    fields.append_signature_field(writer, SigFieldSpec(PERSON_FIELD, on_page=on_page, box=person_box))
    # The seal's lock: once it signs, no change is allowed (ISO 32000-2 /Lock with /P 1).
    fields.append_signature_field(writer, SigFieldSpec(SEAL_FIELD, on_page=on_page, box=seal_box, field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
                                                       doc_mdp_update_value=MDPPerm.NO_CHANGES))
    try:
        return _run(_sign_both(writer, person, seal, roots, crls))
    except (TimestampRequestError, OSError) as exc:
        raise ServiceError(_("The timestamp authority %(url)s cannot be reached: %(why)s") % {"url": settings.APPROVAL_TSA_URL, "why": exc},
                           "timestamp") from exc
    except SigningError as exc:
        raise ServiceError(_("The document cannot be signed: %(why)s") % {"why": exc}, "signature") from exc


def sign_export(user, *, kind: str, params: dict, p12: bytes, password: bytes | None, request=None) -> SignedExport:
    """Render a document for the user, sign it with their key and seal it with their agency's, and register it under a new
    verification code. All or nothing; refusals are audited."""
    subject = documents.describe(kind, params)
    require_signer(user, subject.unit_id, request)
    try:
        person = competent_signer(user, p12, password)
        seal = seal_for(subject.unit_id)
        roots, crls = _roots(), _crls()
        person_problem, seal_problem = _run(_trust_problems(person, seal, roots, crls))
        if person_problem:
            raise ServiceError(_("Signing key: %(problem)s") % {"problem": person_problem}, "p12")
        if seal_problem:
            raise ServiceError(_("The seal of %(unit)s: %(problem)s") % {"unit": seal.unit_name, "problem": seal_problem}, "seal")
        with transaction.atomic():
            rendered = documents.render(kind, user, params, request)
            export = _register(user, kind, rendered, subject.unit_id, person, seal, roots, crls, request)
    except ServiceError as exc:
        record_refusal(user, ACTION, reason=exc.message, unit_id=subject.unit_id, details={"kind": kind}, request=request)
        raise
    return export


def _register(user, kind, rendered: documents.Rendered, unit_id: int, person, seal: Seal, roots, crls, request) -> SignedExport:
    code, signed_at = new_code(), timezone.now()
    data = signed_pdf(rendered.pdf, code=code, person=person, seal=seal, signed_at=signed_at, roots=roots, crls=crls)
    name = default_storage.save(f"signed/{code}.pdf", ContentFile(data))
    try:
        export = SignedExport.objects.create(
            code=code, kind=kind, title=rendered.title[:300], unit_id=unit_id, subject=rendered.subject, signed_by=user,
            signer_name=_common_name(person.signing_cert), seal_name=seal.name, signed_at=signed_at, storage_name=name, size=len(data),
            sha256=hashlib.sha256(data).hexdigest())
        audit(user, ACTION, obj=export, unit_id=unit_id, details={"kind": kind, "code": code, "subject": rendered.subject, "seal": seal.unit_id},
              request=request)
    except BaseException:
        default_storage.delete(name)
        raise
    return export


# ---- finding exports ----

def visible_exports(user):
    """The signed exports of the units the user signs or reads reports for."""
    signs, reads = authz.scope(user, "reports.sign"), authz.scope(user, "reports.view")
    if signs.everything or reads.everything:
        return SignedExport.objects.select_related("unit", "signed_by")
    return SignedExport.objects.filter(unit_id__in=signs.unit_ids | reads.unit_ids).select_related("unit", "signed_by")


def require_any_scope(user) -> None:
    if not (authz.can(user, "reports.sign") or authz.can(user, "reports.view")):
        raise PermissionDenied(_("You are not allowed to see signed documents."))


def get_export(user, code: str, request=None) -> SignedExport:
    export = SignedExport.objects.select_related("unit", "signed_by").filter(code=clean_code(code)).first()
    if export is None:
        raise Http404(_("No signed document has this code."))
    if not (authz.can(user, "reports.sign", export.unit_id) or authz.can(user, "reports.view", export.unit_id)):
        record_refusal(user, "reports.view_signed_export", reason="out of scope", unit_id=export.unit_id, request=request)
        raise PermissionDenied(_("You are not allowed to do this for this unit."))
    return export


def export_bytes(user, export: SignedExport, request=None) -> bytes:
    """The signed file, whose download is audited: it holds personal data."""
    with default_storage.open(export.storage_name, "rb") as stored:
        data = stored.read()
    audit(user, "reports.download_signed_export", obj=export, unit_id=export.unit_id, details={"code": export.code}, request=request)
    return data


def public_export(code: str) -> SignedExport | None:
    return SignedExport.objects.select_related("unit").filter(code=clean_code(code)).first()


# ---- verification ----

@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer_name: str
    signed_at: datetime.datetime | None  # the timestamp's time when there is a trusted one, else the signer's own
    timestamped: bool
    intact: bool  # the signed bytes are unchanged and the signature is the certificate's
    trusted: bool  # the certificate chains to our trust roots, was valid and not revoked at the signing time
    modified_after: bool  # the document changed after it, beyond later signatures and validation data
    problem: str = ""

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted and not self.modified_after


@dataclass(frozen=True)
class Verification:
    sha256: str
    signatures: tuple[SignatureCheck, ...] = ()
    problem: str = ""  # why the file cannot be checked at all
    export: SignedExport | None = None  # the export registered with these very bytes

    @property
    def valid(self) -> bool:
        return not self.problem and bool(self.signatures) and all(check.valid for check in self.signatures)

    @property
    def verdict(self) -> str:
        if self.problem:
            return self.problem
        if self.valid:
            return _("Valid: every signature is intact and trusted, and the document was not changed after it was signed.")
        return _("Not valid: a signature is broken or not trusted, or the document was changed after it was signed.")


def _claimed_time(embedded) -> datetime.datetime | None:
    """When the signature says it was made: its timestamp's time, or the signer's own."""
    try:
        token = find_unique_cms_attribute(embedded.signer_info["unsigned_attrs"], "signature_time_stamp_token")
        return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native
    except (NonexistentAttributeError, KeyError, ValueError, TypeError):
        return embedded.self_reported_timestamp


async def _check(embedded, roots, dss) -> SignatureCheck:
    field = str(embedded.field_name or "")
    try:
        signer_name = _common_name(embedded.signer_cert)
        context = _context(roots, moment=_claimed_time(embedded), dss=dss)
        status = await async_validate_pdf_signature(embedded, context, key_usage_settings=KeyUsageConstraints(key_usage=KEY_USAGE))
    except Exception:  # a damaged signature is a verdict, not an error
        return SignatureCheck(field, "", None, False, False, False, True, _("The signature is damaged and cannot be checked."))
    stamp = status.timestamp_validity
    timestamped = stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    intact = bool(status.intact and status.valid and status.coverage in (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE))
    trusted = bool(status.trusted) and (stamp is None or timestamped)
    modified = not status.docmdp_ok or (status.modification_level or ModificationLevel.NONE) > ModificationLevel.FORM_FILLING
    if not intact:
        problem = _("The signed content was changed: the signature no longer matches the document.")
    elif not trusted:
        problem = (_("The signer's certificate was revoked.") if status.revoked
                   else _("The signer's certificate does not come from a trusted certification authority, or was not valid at the signing time."))
    elif modified:
        problem = _("The document was changed after this signature.")
    else:
        problem = ""
    return SignatureCheck(field, signer_name, stamp.timestamp if timestamped else status.signer_reported_dt, timestamped, intact, trusted,
                          modified, problem)


async def _check_all(data: bytes, roots) -> tuple[SignatureCheck, ...]:
    reader = PdfFileReader(io.BytesIO(data))
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        dss = None
    return tuple([await _check(embedded, roots, dss) for embedded in reader.embedded_regular_signatures])


def verify_pdf(data: bytes) -> Verification:
    """Check every signature of a file against our trust roots with the revocation data it carries, fetching nothing,
    and whether it is a registered export. Whatever the file, the answer is a verdict."""
    sha256 = hashlib.sha256(data).hexdigest()
    export = SignedExport.objects.select_related("unit").filter(sha256=sha256).first()
    if b"%PDF-" not in data[:1024]:
        return Verification(sha256, problem=_("The file is not a PDF document."), export=export)
    try:
        checks = _run(_check_all(data, _roots()))
    except Exception:  # a file that cannot be parsed is a verdict, not an error
        return Verification(sha256, problem=_("The PDF document cannot be read: it is damaged."), export=export)
    if not checks:
        return Verification(sha256, problem=_("The PDF document carries no digital signature."), export=export)
    return Verification(sha256, checks, export=export)


def download_response(user, export: SignedExport, request=None) -> HttpResponse:
    """The signed PDF as a download (audited by export_bytes), for the page and the API."""
    try:
        data = export_bytes(user, export, request)
    except FileNotFoundError as exc:
        raise Http404(_("The signed file is no longer stored.")) from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{export.kind}-{export.code}.pdf")
    return response
