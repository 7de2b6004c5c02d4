"""Pages of the signed exports (R-9.5): signing a document, the signer's list and downloads, and the public verification."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from common.errors import ServiceError, document_too_large
from people.services import unit_name

from . import documents, signed
from .models import SignedExport

PAGE_SIZE = 50
# A multipart body holds a little more than the file it carries.
UPLOAD_OVERHEAD = 64 * 1024


class SignExportForm(forms.Form):
    p12 = forms.FileField(label=gettext_lazy("Signing key (PKCS#12: .p12, .pfx)"))
    password = forms.CharField(label=gettext_lazy("Key password"), required=False, strip=False, widget=forms.PasswordInput(render_value=False))


class VerifyForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Signed PDF file"))


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Verification code"), max_length=64)


def _params(request, kind: documents.Kind) -> dict:
    """The one query parameter naming what is signed: ?person=<id> or ?unit=<id>."""
    return {kind.param: request.GET.get(kind.param.removesuffix("_id"), ""), **{name: request.GET.get(name, "") for name in kind.extra}}


@login_required
def sign_page(request, kind):
    """What will be signed (title, issuing unit, the seal), and the signer's key; signing makes the export."""
    try:
        document = documents.kind(kind)
        params = _params(request, document)
        subject = document.describe(params)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    signed.require_signer(request.user, subject.unit_id, request)
    form = SignExportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                export = signed.sign_export(request.user, kind=kind, params=params, p12=form.cleaned_data["p12"].read(signed.MAX_KEY_BYTES + 1),
                                            password=form.cleaned_data["password"].encode() or None, request=request)
                return redirect("reports:signed", export.code)
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    try:
        seal, seal_problem = signed.seal_for(subject.unit_id), ""
    except ServiceError as exc:
        seal, seal_problem = None, exc.message
    return render(request, "reports/sign.html", {"form": form, "subject": subject, "kind_label": SignedExport.Kind(kind).label,
                                                 "unit_name": unit_name(subject.unit_id), "seal": seal, "seal_problem": seal_problem},
                  status=status)


@login_required
@require_safe
def signed_list(request):
    signed.require_any_scope(request.user)
    page = Paginator(signed.visible_exports(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/signed_list.html", {"page": page})


@login_required
@require_safe
def signed_detail(request, code):
    export = signed.get_export(request.user, code, request)
    return render(request, "reports/signed_detail.html", {"export": export, "verify_url": signed.verification_url(export.code)})


@login_required
@require_safe
def signed_download(request, code):
    return signed.download_response(request.user, signed.get_export(request.user, code, request), request)


def _too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.DOCUMENT_MAX_BYTES + UPLOAD_OVERHEAD
    except ValueError:
        return True


def _checked(request, form: VerifyForm):
    """The verdict on an uploaded file, or None with the form's error; the size is checked before the file is read."""
    if not form.is_valid():
        return None
    upload = form.cleaned_data["file"]
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        form.add_error("file", document_too_large())
        return None
    return signed.verify_pdf(upload.read())


def verify(request):
    """Public: anyone holding a signed document checks it, by its file or by the code printed under its QR code."""
    if request.method == "POST" and _too_large(request):
        return HttpResponse(document_too_large(), status=413, content_type="text/plain; charset=utf-8")
    code_form = CodeForm(request.GET or None)
    if code_form.is_valid():
        return redirect("reports:verify_code", signed.clean_code(code_form.cleaned_data["code"]) or "-")
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = _checked(request, form) if request.method == "POST" else None
    status = 400 if request.method == "POST" and result is None else 200
    return render(request, "reports/verify.html", {"form": form, "code_form": code_form, "result": result}, status=status)


def verify_code(request, code):
    """Public, where the QR code leads: what was issued under the code, without personal data, and a file to compare."""
    if request.method == "POST" and _too_large(request):
        return HttpResponse(document_too_large(), status=413, content_type="text/plain; charset=utf-8")
    export = signed.public_export(code)
    if export is None:
        return render(request, "reports/verify_code.html", {"code": signed.clean_code(code)[:32]}, status=404)
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = _checked(request, form) if request.method == "POST" else None
    status = 400 if request.method == "POST" and result is None else 200
    return render(request, "reports/verify_code.html", {"export": export, "unit_name": unit_name(export.unit_id, timezone.localdate(export.signed_at)),
                                                        "form": form, "result": result,
                                                        "same_file": result is not None and result.export is not None and result.export.pk == export.pk},
                  status=status)
