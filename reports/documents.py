"""Documents printed for official use (résumé, staff list, reports), as the signed exports take them (R-9.5).

Each kind says which unit issues a document (the one whose head signs it and whose seal, or its nearest ancestor's, seals
it) and renders it for a reader with that reader's scope and clearance, exactly as the page that prints it does. A new kind
is one entry in KINDS.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import record as audit
from common.errors import ServiceError
from common.text import as_id
from orgs.models import Unit
from people import services as people
from people.printing import resume_pdf

from .models import SignedExport


@dataclass
class Rendered:
    """A printed document: its PDF, the title it is filed under, the issuing unit and what it shows (for the audit and a re-issue)."""

    pdf: bytes
    title: str
    unit_id: int
    subject: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    """What a request would sign, before anything is rendered: enough to check the signer's scope and to show the form."""

    unit_id: int
    title: str
    preview_url: str = ""  # the unsigned print, for reading the document before signing it


@dataclass(frozen=True)
class Kind:
    param: str  # the one parameter naming what is printed: "person_id" or "unit_id"
    describe: Callable[[dict], Subject]  # raises Http404 when what the parameter names does not exist
    render: Callable[..., Rendered]  # (user, params, request) -> Rendered; checks the reader's scope
    extra: tuple[str, ...] = ()  # further query parameters (a report's form and reference date)


PARAM_LABELS = {"person_id": gettext_lazy("Person"), "unit_id": gettext_lazy("Unit")}


def _id(params: dict, name: str) -> int:
    value = params.get(name)
    if isinstance(value, str):
        value = as_id(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise ServiceError(_("%(field)s: choose what is signed.") % {"field": PARAM_LABELS[name]}, name)
    return value


def _person(params: dict) -> people.Person:
    person = people.Person.objects.select_related("unit").filter(pk=_id(params, "person_id")).first()
    if person is None:
        raise Http404(_("No such person."))
    return person


def _describe_resume(params: dict) -> Subject:
    person = _person(params)
    return Subject(person.unit_id, f"Sơ yếu lý lịch – {person.full_name}", reverse("people:print", args=[person.pk]))


def _render_resume(user, params: dict, request=None) -> Rendered:
    """The résumé as people's print page makes it: the record as this reader may see it, audited as a print (R-9.4)."""
    person = _person(params)
    people.require_view(user, person, request)
    record, number = people.read_record(user, person, request=request)
    pdf = resume_pdf(record, people.CatalogNames(), unit_name=people.unit_name(person.unit_id), version=number, printed_on=timezone.localdate())
    audit(user, "people.print", obj=person, unit_id=person.unit_id, details={"version": number, "signed": True}, request=request)
    return Rendered(pdf=pdf, title=f"Sơ yếu lý lịch – {person.full_name}", unit_id=person.unit_id,
                    subject={"person_id": person.pk, "version": number})


def _describe_staff_list(params: dict) -> Subject:
    unit = Unit.objects.filter(pk=_id(params, "unit_id")).first()
    if unit is None:
        raise Http404(_("The unit does not exist."))
    return Subject(unit.pk, f"Danh sách cán bộ, công chức, viên chức – {people.unit_name(unit.pk)}",
                   reverse("reports:staff_list", args=[unit.pk]))


def _render_staff_list(user, params: dict, request=None) -> Rendered:
    from .staff_list import staff_list_pdf  # it imports Rendered from here

    return staff_list_pdf(user, _id(params, "unit_id"), request=request)


def _describe_report(params: dict) -> Subject:
    from .standard_forms import FORMS

    subject = _describe_staff_list(params)
    form = FORMS.get(params.get("form") or "")
    if form is None:
        raise ServiceError(_("Form: there is no standard form %(code)s.") % {"code": params.get("form", "")}, "form")
    return Subject(subject.unit_id, f"{form.number} – {form.title} – {people.unit_name(subject.unit_id)}",
                   reverse("reports:standard_form") + f"?form={form.code}&unit={subject.unit_id}&day={params.get('day') or ''}&format=pdf")


def _render_report(user, params: dict, request=None) -> Rendered:
    """The Ministry's standard form for the unit's subtree on the reference date, as the PDF of the form page."""
    import datetime

    from .form_sheets import report_pdf
    from .standard_forms import build

    try:
        day = datetime.date.fromisoformat(params["day"]) if params.get("day") else None
    except ValueError as exc:
        raise ServiceError(_("Reference date: give a date as yyyy-mm-dd."), "day") from exc
    report = build(user, params.get("form") or "", _id(params, "unit_id"), day, request=request)
    return Rendered(pdf=report_pdf(report), title=f"{report.form.number} – {report.form.title} – {report.unit_name}",
                    unit_id=report.unit_id, subject={"form": report.form.code, "unit_id": report.unit_id, "day": report.day.isoformat()})


KINDS: dict[str, Kind] = {
    SignedExport.Kind.REPORT: Kind("unit_id", _describe_report, _render_report, extra=("form", "day")),
    SignedExport.Kind.RESUME: Kind("person_id", _describe_resume, _render_resume),
    SignedExport.Kind.STAFF_LIST: Kind("unit_id", _describe_staff_list, _render_staff_list),
}


def kind(name: str) -> Kind:
    if name not in KINDS:
        raise ServiceError(_("Document: this kind of document cannot be signed."), "kind")
    return KINDS[name]


def describe(name: str, params: dict) -> Subject:
    return kind(name).describe(params)


def render(name: str, user, params: dict, request=None) -> Rendered:
    return kind(name).render(user, params, request)
