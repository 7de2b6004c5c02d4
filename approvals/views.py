from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import authz
from audit.services import record as audit
from common.errors import ServiceError
from common.text import as_id
from orgs.services import unit_choices, versions_on
from people import services as people
from people.models import ChangeSet
from people.views import display_changes

from . import services
from .forms import RejectForm, SignForm, WindowForm
from .models import ApprovalWindow, SigningBatch
from .signing import SoftwareSigner

PAGE_SIZE = 50


def _require_approver(user) -> None:
    if not services.may_approve_somewhere(user):
        raise PermissionDenied(_("You are not allowed to approve records."))


def _selection(request, day):
    """The round's unit (None: every unit the user approves) and list ("changes" or "unsigned"), from the query or the form."""
    data = request.POST if request.method == "POST" else request.GET
    listing = "unsigned" if data.get("list") == "unsigned" else "changes"
    unit = data.get("unit", "")
    unit_ids = None if (unit_id := as_id(unit)) is None else {unit_id}
    changes = services.pending_changes(request.user, day, unit_ids)
    unsigned = services.unsigned_people(request.user, day, unit_ids)
    return (unit_ids, listing, changes, unsigned) if listing == "changes" else (unit_ids, listing, changes.none(), unsigned)


def _unit_counts(user, day) -> list[dict]:
    """Units with something to approve, and how much."""
    counts: dict[int, dict] = {}
    for unit_id, count in services.pending_changes(user, day).order_by().values_list("person__unit_id").annotate(n=Count("pk")):
        counts.setdefault(unit_id, {"unit_id": unit_id, "changes": 0, "unsigned": 0})["changes"] = count
    for unit_id, count in services.unsigned_people(user, day).order_by().values_list("unit_id").annotate(n=Count("pk")):
        counts.setdefault(unit_id, {"unit_id": unit_id, "changes": 0, "unsigned": 0})["unsigned"] = count
    names = dict(versions_on(day).filter(unit_id__in=counts).values_list("unit_id", "name"))
    return sorted(({**row, "name": names.get(row["unit_id"], "")} for row in counts.values()), key=lambda row: row["name"])


def _reviewed(user, change_set: ChangeSet, names: people.CatalogNames) -> dict:
    """A change set as the approver reviews it: the diff against the approved record, on the fields they may see, and its proofs."""
    person = change_set.person
    base = people.approved_record(person, change_set.base_version)
    shown = people.visible_sections(user, person)
    changes = people.diff(people.restrict(base, shown), people.restrict({**base, **people.change_set_sections(change_set)}, shown))
    return {"change_set": change_set, "person": person, "token": services.Item(person, change_set).token,
            "changes": display_changes(changes, names), "attachments": list(change_set.attachments.select_related("document"))}


@login_required
def round_page(request, form=None, status=200):
    _require_approver(request.user)
    day = timezone.localdate()
    unit_ids, listing, changes, unsigned = _selection(request, day)
    page = Paginator(changes if listing == "changes" else unsigned, PAGE_SIZE).get_page(request.GET.get("page"))
    names = people.CatalogNames()
    if listing == "changes":
        rows = [_reviewed(request.user, change_set, names) for change_set in page]
        if rows:  # the diffs show personal data: who reviewed whose is kept
            audit(request.user, "approvals.review", details={"people": [row["person"].pk for row in rows]}, request=request)
    else:
        rows = [{"person": person, "token": services.Item(person, None).token} for person in page]
    start, end = services.regular_window(day)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "rows": rows, "page": page, "listing": listing, "unit": next(iter(unit_ids)) if unit_ids else "",
        "units": _unit_counts(request.user, day), "total": page.paginator.count,
        # "Sign all" signs at most one batch; a longer list is narrowed to a unit first.
        "fingerprint": services.list_fingerprint(services.all_tokens(changes, unsigned)) if page.paginator.count <= services.MAX_BATCH else "",
        "max_batch": services.MAX_BATCH,
        "window": {"start": start, "end": end, "open": start <= day <= end,
                   "extra": ApprovalWindow.objects.filter(opens_on__lte=day, closes_on__gte=day).select_related("unit")},
        "form": form or SignForm(), "query_string": query.urlencode(),
        "batches": SigningBatch.objects.filter(approver=request.user)[:5], "can_open_rounds": authz.can(request.user, "approvals.open_window"),
    }
    return render(request, "approvals/round.html", context, status=status)


@login_required
@require_POST
def sign(request):
    """Sign the chosen items (or the whole list as shown) with a PKCS#12 key, or prepare them for the approver's own tool."""
    _require_approver(request.user)
    form = SignForm(request.POST, request.FILES)
    if not form.is_valid():
        return round_page(request, form, 400)
    day = timezone.localdate()
    tokens = request.POST.getlist("item")
    if request.POST.get("all"):
        _unit_ids, _listing, changes, unsigned = _selection(request, day)
        tokens = services.all_tokens(changes, unsigned)
        if services.list_fingerprint(tokens) != request.POST.get("fingerprint"):
            form.add_error(None, _("The list changed since it was shown to you; review it again."))
            return round_page(request, form, 400)
    try:
        if form.cleaned_data["certificate"]:
            pem = form.cleaned_data["certificate"].read(64 * 1024).decode("ascii", "replace")
            batch = services.prepare_batch(request.user, tokens, pem, request=request)
            return redirect("approvals:batch", batch.pk)
        if not form.cleaned_data["p12"]:
            form.add_error("p12", _("Choose your signing key, or your certificate to sign with your own tool."))
            return round_page(request, form, 400)
        try:
            signer = SoftwareSigner(form.cleaned_data["p12"].read(1024 * 1024), form.cleaned_data["password"].encode() or None)
        except ValueError as exc:
            raise ServiceError(str(exc), "p12") from exc
        signed = services.approve(request.user, tokens, signer, request=request)
    except ServiceError as exc:
        exc.add_to_form(form)
        return round_page(request, form, 400)
    messages.success(request, ngettext("Approved and signed: %(count)s record.", "Approved and signed: %(count)s records.", len(signed))
                     % {"count": len(signed)})
    return redirect(f"{reverse('approvals:round')}?{urlencode({'unit': request.POST.get('unit', ''), 'list': request.POST.get('list', '')})}")


@login_required
def batch_page(request, pk):
    _require_approver(request.user)
    batch = get_object_or_404(SigningBatch, pk=pk, approver=request.user)
    items = batch.items.select_related("person")
    return render(request, "approvals/batch.html", {"batch": batch, "items": items[:PAGE_SIZE], "count": items.count(),
                                                    "api_url": request.build_absolute_uri("/api/v1/")})


@login_required
def reject(request, pk):
    _require_approver(request.user)
    change_set = get_object_or_404(ChangeSet.objects.select_related("person", "data_key", "author"), pk=pk)
    people.require_view(request.user, change_set.person, request)
    if request.method != "POST":
        return redirect("people:change_set", pk)
    form = RejectForm(request.POST, paths=services.change_paths(change_set))
    if form.is_valid():
        try:
            services.reject(request.user, change_set, reasons=form.reasons(), note=form.cleaned_data["note"], request=request)
            messages.success(request, _("Sent back to the person for correction."))
            return redirect("people:change_set", pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields))
    return redirect("people:change_set", pk)


@login_required
def windows(request):
    allowed = authz.scope(request.user, "approvals.open_window")
    if not allowed:
        authz.require(request.user, "approvals.open_window")
    day = timezone.localdate()
    units = unit_choices(allowed, day)
    form = WindowForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.open_window(request.user, unit_id=int(form.cleaned_data["unit"]), opens_on=form.cleaned_data["opens_on"],
                                     closes_on=form.cleaned_data["closes_on"], reason=form.cleaned_data["reason"], request=request)
                messages.success(request, _("Approval round opened."))
                return redirect("approvals:windows")
            except ServiceError as exc:
                exc.add_to_form(form)
        status = 400
    found = allowed.filter(ApprovalWindow.objects.select_related("unit", "opened_by"))
    start, end = services.regular_window(day)
    return render(request, "approvals/windows.html", {"form": form, "windows": found[:100], "start": start, "end": end}, status=status)
