import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import authz
from approvals import services as approvals
from approvals.forms import RejectForm
from audit.services import record as audit
from common.dbrouter import replica_reads
from common.errors import ServiceError
from common.text import as_id
from orgs.services import unit_choices, versions_on
from reports.columns import cleared_columns

from . import retirement, services
from .form import BY_NAME, SECTIONS
from .forms import NewPersonForm, RetirementForm, StatusForm, UploadForm, search_form, search_query, section_forms, show_error, submitted_value
from .models import ChangeSet, Document, Person
from .printing import resume_pdf
from .timeline import timeline


def _person(request, pk) -> Person:
    person = get_object_or_404(Person.objects.select_related("unit", "account"), pk=pk)
    services.require_view(request.user, person, request)
    return person


def _day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _display_rows(record: dict, names: services.CatalogNames) -> list[dict]:
    """The record as sections of labelled values, in the form's order, for templates."""
    shown = []
    for sec in SECTIONS:
        if sec.name not in record:
            continue
        value = record[sec.name]
        if sec.repeating:
            rows = [[names.display(sec.name, item.name, row.get(item.name)) for item in sec.fields] for row in value]
            shown.append({"section": sec, "headers": [item.label for item in sec.fields], "rows": rows})
        else:
            facts = [(item.label, names.display(sec.name, item.name, value.get(item.name))) for item in sec.fields if item.name in value]
            shown.append({"section": sec, "facts": facts})
    return shown


def display_changes(changes, names: services.CatalogNames) -> list[dict]:
    return [{"label": c.label, "old": names.display(c.section, c.field, c.old), "new": names.display(c.section, c.field, c.new)}
            for c in changes]


def _verified(versions) -> list:
    """The versions with their signatures verified again from the stored data (R-3.11): the page says whether each still holds."""
    shown = list(versions)
    crls = approvals.revocation_lists() if any(hasattr(v, "signature") for v in shown) else []
    for version in shown:
        version.verification = approvals.verify_version(version.signature, crls=crls) if hasattr(version, "signature") else None
    return shown


@login_required
def retirements(request):
    """Who retires in the coming months, by the retirement-age roadmap (Labor Code 2019 Art. 169, Decree 135/2020)."""
    allowed = authz.scope(request.user, "people.view")
    if not allowed:
        authz.require(request.user, "people.view")
    day = timezone.localdate()
    units = unit_choices(allowed, day)
    form = RetirementForm(request.GET or None, units=units)
    found, error = [], None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        try:
            found = retirement.upcoming(request.user, unit_id=int(data["unit"]) if data.get("unit") else None, months=int(data.get("months") or 12),
                                        day=day)
        except ServiceError as exc:
            error = exc.message
    unit_names = dict(versions_on(day).filter(unit_id__in={p.unit_id for p, _when in found}).values_list("unit_id", "name"))
    rows = [{"person": person, "unit": unit_names.get(person.unit_id, ""), "retires_on": when} for person, when in found]
    return render(request, "people/retirements.html", {"form": form, "rows": rows, "error": error})


@login_required
@replica_reads()
def people_list(request):
    allowed = authz.scope(request.user, "people.view")
    if not allowed:
        authz.require(request.user, "people.view")
    form = search_form(request.GET, request.user)
    people, error = Person.objects.none(), None
    try:
        people = services.search_people(request.user, search_query(request.GET, request.user, form))
        if form.is_bound and form.cleaned_data.get("order") == "completeness":
            people = people.order_by("completeness", "search_key", "pk")
    except ServiceError as exc:
        error = None if form.is_bound and form.errors else exc.message  # field errors show beside their fields
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    unit_names = dict(versions_on(timezone.localdate()).filter(unit_id__in={p.unit_id for p in page}).values_list("unit_id", "name"))
    names = services.CatalogNames()
    for found in page:
        found.unit_name, found.category_name = unit_names.get(found.unit_id, ""), names.name("person_category", found.category)
    context = {"form": form, "page": page, "error": error, "saved_searches": request.user.saved_searches.filter(kind="people"),
               "can_create": authz.can(request.user, "people.edit"), "query_string": request.GET.urlencode(),
               "export_columns": cleared_columns(services.search_clearance(request.user)) if authz.can(request.user, "reports.export") else []}
    return render(request, "people/list.html", context)


@login_required
def person_detail(request, pk):
    person = _person(request, pk)
    on = _day(request.GET.get("on"))
    number = request.GET.get("version")
    try:
        record, shown_number = services.read_record(request.user, person, number=as_id(number),
                                                    on=on, request=request)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    except services.PurposeRequired:
        return render(request, "people/purpose.html", {"person": person, "purposes": settings.AUDIT_READ_PURPOSES,
                                                       "keep": {key: request.GET[key] for key in ("version", "on") if request.GET.get(key)}})
    names = services.CatalogNames()
    pending = services.open_change_set(person)
    own = services.is_own(request.user, person)
    may_edit = authz.can(request.user, "people.edit", person.unit_id)
    context = {
        "person": person, "sections": _display_rows(record, names), "shown_number": shown_number, "on": on,
        "versions": _verified(person.versions.select_related("approved_by", "signature", "data_key", "change_set", "packet").order_by("-number")),
        "pending": pending, "own": own, "can_edit": services.can_edit(request.user, person) and not person.is_closed,
        "can_status": may_edit,
        "can_sign": authz.can(request.user, "reports.sign", person.unit_id),
        "history": person.change_sets.exclude(state__in=ChangeSet.OPEN).select_related("author", "decided_by")[:20],
        "statuses": person.status_changes.select_related("changed_by"), "status_form": StatusForm(initial={"effective_on": timezone.localdate()}),
        "quality": services.quality(person, services.visible_sections(request.user, person), pending) if own or may_edit else None,
        "editable_sections": [s for s in SECTIONS if not own or s.editable_by_person],
        "unit_name": services.unit_name(person.unit_id),
        "may_confirm": own and authz.can(request.user, "self.edit") and person.version and not person.is_closed and not pending,
        "last_check": person.checks.first() if own else None,
    }
    return render(request, "people/detail.html", context)


def _own_record(request) -> Person | None:
    """The user's own record; without one, they are told so."""
    person = services.person_for_user(request.user)
    if person is None:
        messages.info(request, _("No record is linked to your account yet. Ask your unit's personnel officer."))
    return person


@login_required
def my_record(request):
    person = _own_record(request)
    return redirect("people:detail", person.pk) if person else redirect("accounts:me")


@login_required
def edit_section(request, pk, section):
    person = _person(request, pk)
    sec = BY_NAME.get(section)
    if sec is None:
        raise Http404
    if not services.can_edit(request.user, person):
        raise PermissionDenied(_("You are not allowed to do this for this record."))
    current = services.working_record(person)
    visible = services.visible_sections(request.user, person)
    if set(visible.get(sec.name, ())) != set(sec.fields_by_name):
        raise PermissionDenied(_("You are not cleared to see every field of this section."))
    bound = section_forms(sec, current[sec.name], request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if bound.is_valid():
            try:
                services.edit_sections(request.user, person, {sec.name: submitted_value(sec, bound)}, request=request)
                messages.success(request, _("Saved in your draft changes. Attach the proof and submit them for approval."))
                return redirect("people:detail", person.pk)
            except ServiceError as exc:
                show_error(bound, sec, exc)
        status = 400
    return render(request, "people/edit_section.html", {"person": person, "section": sec, "form": bound}, status=status)


@login_required
def new_person(request):
    units = authz.scope(request.user, "people.edit").filter(versions_on(timezone.localdate()), "unit_id").order_by("name")
    if not units.exists():
        authz.require(request.user, "people.edit")
    identity, employment = BY_NAME["identity"], BY_NAME["employment"]
    data = request.POST if request.method == "POST" else None
    form = NewPersonForm(data, units=units)
    forms_ = {"identity": section_forms(identity, {}, data), "employment": section_forms(employment, {}, data)}
    status = 200
    if request.method == "POST":
        if form.is_valid() and all(f.is_valid() for f in forms_.values()):
            unit = get_object_or_404(units, unit_id=form.cleaned_data["unit"]).unit
            try:
                person, _change_set = services.create_person(
                    request.user, unit=unit, sections={name: submitted_value(BY_NAME[name], f) for name, f in forms_.items()},
                    request=request)
                messages.success(request, _("Record opened as a draft. Complete it, attach the proofs and submit it for approval."))
                return redirect("people:detail", person.pk)
            except ServiceError as exc:
                name = (exc.field or "").split(".")[0]
                if name in forms_:
                    show_error(forms_[name], BY_NAME[name], exc)
                else:
                    exc.add_to_form(form)
        status = 400
    return render(request, "people/new.html", {"form": form, "section_forms": [(BY_NAME[n], f) for n, f in forms_.items()]}, status=status)


@login_required
def versions_diff(request, pk):
    person = _person(request, pk)
    try:
        old_number, new_number = int(request.GET.get("from", 0)), int(request.GET.get("to", person.version))
    except ValueError as exc:
        raise Http404 from exc
    try:
        old, _n = services.read_record(request.user, person, number=old_number, request=request)
        new, _n = services.read_record(request.user, person, number=new_number, request=request)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    names = services.CatalogNames()
    context = {"person": person, "old_number": old_number, "new_number": new_number,
               "changes": display_changes(services.diff(old, new), names), "numbers": range(person.version, -1, -1)}
    return render(request, "people/diff.html", context)


@login_required
def person_timeline(request, pk):
    person = _person(request, pk)
    return render(request, "people/timeline.html", {"person": person, "events": timeline(request.user, person, request=request)})


@login_required
def print_resume(request, pk):
    person = _person(request, pk)
    record, number = services.read_record(request.user, person, request=request)
    pdf = resume_pdf(record, services.CatalogNames(), unit_name=services.unit_name(person.unit_id), version=number,
                     printed_on=timezone.localdate())
    audit(request.user, "people.print", obj=person, unit_id=person.unit_id, details={"version": number}, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="so-yeu-ly-lich-{person.pk}-v{number}.pdf"'
    return response


@login_required
@require_POST
def change_status(request, pk):
    person = _person(request, pk)
    authz.require(request.user, "people.edit", person.unit_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_status(request.user, person, request=request, **form.cleaned_data)
            messages.success(request, _("Status recorded."))
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()))
    return redirect("people:detail", person.pk)


@login_required
@require_POST
def confirm_checked(request):
    """The person confirms their record is right as it stands (R-6.4)."""
    person = _own_record(request)
    if person is None:
        return redirect("accounts:me")
    try:
        services.confirm_checked(request.user, person, request=request)
        messages.success(request, _("Thank you: your check of the record is recorded."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("people:detail", person.pk)


def _change_set(request, pk) -> ChangeSet:
    change_set = get_object_or_404(ChangeSet.objects.select_related("person", "data_key", "author"), pk=pk)
    services.require_view(request.user, change_set.person, request)
    return change_set


@login_required
def change_set_detail(request, pk, upload_form=None, status=200):
    change_set = _change_set(request, pk)
    person = change_set.person
    sections = services.change_set_sections(change_set)
    base = services.approved_record(person, change_set.base_version)
    shown = services.visible_sections(request.user, person)
    names = services.CatalogNames()
    changes = services.diff(services.restrict(base, shown), services.restrict({**base, **sections}, shown))
    may_decide = approvals.approval_refusal(request.user, person, timezone.localdate()) is None
    labels = approvals.change_paths(change_set)
    proved = set(change_set.attachments.values_list("section", flat=True))
    context = {
        "change_set": change_set, "person": person, "changes": display_changes(changes, names),
        "attachments": change_set.attachments.select_related("document", "uploaded_by"),
        "can_edit": services.can_edit(request.user, person) and change_set.state == ChangeSet.State.DRAFT,
        "can_withdraw": services.can_edit(request.user, person) and change_set.is_open,
        "can_decide": may_decide and change_set.state == ChangeSet.State.SUBMITTED,
        "reject_form": RejectForm(paths=labels) if may_decide else None,
        "rejections": [{"rejection": r, "reasons": [(labels.get(path, path), text) for path, text in r.reasons.items()]}
                       for r in change_set.rejections.select_related("rejected_by")],
        "upload_form": upload_form or UploadForm(sections=[BY_NAME[name] for name in sections] or SECTIONS),
        "unproved": [BY_NAME[n].label for n in sections if BY_NAME[n].needs_proof and n not in proved],
    }
    return render(request, "people/change_set.html", context, status=status)


@login_required
@require_POST
def upload(request, pk):
    change_set = _change_set(request, pk)
    if not services.can_edit(request.user, change_set.person):
        raise PermissionDenied(_("You are not allowed to do this for this record."))
    sections = [BY_NAME[name] for name in services.change_set_sections(change_set)] or SECTIONS
    form = UploadForm(request.POST, request.FILES, sections=sections)
    if form.is_valid():
        try:
            services.attach_document(request.user, change_set, section_name=form.cleaned_data["section"], upload=form.cleaned_data["file"],
                                     label=form.cleaned_data["label"], request=request)
            messages.success(request, _("Document attached."))
            return redirect("people:change_set", change_set.pk)
        except ServiceError as exc:
            exc.add_to_form(form)
    return change_set_detail(request, pk, upload_form=form, status=400)


def _change_set_action(request, pk, act, done_message):
    change_set = _change_set(request, pk)
    try:
        act(change_set)
        messages.success(request, done_message)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("people:change_set", change_set.pk)


@login_required
@require_POST
def submit(request, pk):
    return _change_set_action(request, pk, lambda cs: services.submit(request.user, cs, note=request.POST.get("note", ""), request=request),
                              _("Submitted for approval."))


@login_required
@require_POST
def withdraw(request, pk):
    return _change_set_action(request, pk, lambda cs: services.withdraw(request.user, cs, request=request), _("Changes withdrawn."))


@login_required
def open_changes(request):
    """Drafts and submissions in the officer's units, oldest first: what people still have to finish or get approved."""
    allowed = authz.scope(request.user, "people.edit")
    if not allowed:
        authz.require(request.user, "people.edit")
    state = request.GET.get("state", "")
    found = allowed.filter(ChangeSet.objects.filter(state__in=[state] if state in ChangeSet.OPEN else ChangeSet.OPEN), "person__unit_id")
    page = Paginator(found.select_related("person", "author").order_by("created_at", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "people/open_changes.html", {"page": page, "state": state, "states": ChangeSet.State.choices[:2],
                                                        "query_string": request.GET.urlencode()})


@login_required
def document(request, sha256):
    found = get_object_or_404(Document, sha256=sha256)
    if not services.can_read_document(request.user, found):
        raise PermissionDenied(_("You are not allowed to see this document."))
    audit(request.user, "people.read_document", obj=found, details={"sha256": sha256}, request=request)
    response = HttpResponse(services.document_bytes(found), content_type=found.content_type)
    response["Content-Disposition"] = "inline"
    return response
