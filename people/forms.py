"""Forms built from the résumé's description (people/form.py). They only shape input: the rules live in people.validation,
so a page and the API refuse the same things with the same messages."""

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import authz
from catalogs.services import entries
from common.errors import ServiceError
from common.text import as_id

from .form import Section
from .models import Person
from .services import FILTER_FIELDS, PeopleQuery, search_clearance

WIDGETS = {
    "date": lambda: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "long_text": lambda: forms.Textarea(attrs={"rows": 3}),
    "int": lambda: forms.NumberInput(attrs={"step": 1}),
    "year": lambda: forms.NumberInput(attrs={"step": 1}),
    "decimal": lambda: forms.TextInput(attrs={"inputmode": "decimal"}),
    "email": lambda: forms.EmailInput(),
    "phone": lambda: forms.TextInput(attrs={"type": "tel"}),
    "citizen_id": lambda: forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 12}),
}


def catalog_choices(catalog: str, held=frozenset()) -> list[tuple[str, str]]:
    """Entries valid today, plus retired ones the record still holds."""
    choices = [("", "—")] + [(e.code, e.name) for e in entries(catalog, timezone.localdate())]
    retired = set(held) - {code for code, _name in choices}
    return choices + [(e.code, e.name) for e in entries(catalog).filter(code__in=retired)]


def section_form_class(sec: Section, current: dict | list | None = None) -> type[forms.Form]:
    """A form class with one field per field of the section; values stay text for people.validation to judge."""
    held = {}
    for row in (current if isinstance(current, list) else [current or {}]):
        for name, value in row.items():
            held.setdefault(name, set()).add(value)
    fields = {}
    for item in sec.fields:
        common = {"label": item.label, "required": False}
        if item.kind == "choice":
            fields[item.name] = forms.ChoiceField(choices=catalog_choices(item.catalog, held.get(item.name, ())), **common)
        elif item.kind == "options":
            fields[item.name] = forms.ChoiceField(choices=[("", "—"), *item.options], **common)
        elif item.kind == "bool":
            fields[item.name] = forms.BooleanField(**common)
        else:
            widget = WIDGETS.get(item.kind, forms.TextInput)()
            fields[item.name] = forms.CharField(max_length=item.max_length if item.kind in {"text", "long_text"} else None,
                                                strip=True, widget=widget, **common)
    return type(f"{sec.name.title()}Form", (forms.Form,), fields)


def section_forms(sec: Section, current, data=None):
    """The form (or, for repeating sections, the formset) of a section, filled from what the record holds (R-4.5)."""
    form_class = section_form_class(sec, current)
    if not sec.repeating:
        return form_class(data, initial=current or {}, prefix=sec.name)
    formset_class = formset_factory(form_class, extra=1, can_delete=True, max_num=200, absolute_max=200)
    return formset_class(data, initial=current or [], prefix=sec.name)


def submitted_value(sec: Section, bound):
    """What the user entered, for people.validation: a dict, or the list of kept rows."""
    if not sec.repeating:
        return dict(bound.cleaned_data)
    return [{k: v for k, v in form.cleaned_data.items() if k != "DELETE"} for form in bound.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def show_error(bound, sec: Section, exc) -> None:
    """Put a service error beside the field it names ("section.field" or "section.row.field")."""
    parts = (exc.field or "").split(".")
    if sec.repeating and len(parts) == 3 and as_id(parts[1]) is not None:
        kept = [form for form in bound.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        index = as_id(parts[1])
        if index < len(kept) and parts[2] in kept[index].fields:
            kept[index].add_error(parts[2], str(exc))
            return
    if not sec.repeating and len(parts) == 2 and parts[1] in bound.fields:
        bound.add_error(parts[1], str(exc))
        return
    if sec.repeating:
        bound.non_form_errors().append(str(exc))
    else:
        bound.add_error(None, str(exc))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name or citizen ID"), required=False, max_length=120)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Person.Status.choices])
    gender = forms.ChoiceField(label=_("Sex"), required=False)
    rank = forms.ChoiceField(label=_("Civil-servant rank"), required=False)
    professional_title = forms.ChoiceField(label=_("Professional title"), required=False)
    position = forms.ChoiceField(label=_("Position"), required=False)
    qualification = forms.ChoiceField(label=_("Qualification"), required=False)
    political_theory = forms.ChoiceField(label=_("Political theory"), required=False)
    state_management = forms.ChoiceField(label=_("State management"), required=False)
    job_position = forms.CharField(label=_("Job position"), required=False, max_length=120)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), required=False)
    party_member = forms.NullBooleanField(label=_("Party member"), required=False, widget=forms.Select(
        choices=[("unknown", "—"), ("true", _("yes")), ("false", _("no"))]))
    age_from = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=120)
    age_to = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=120)
    order = forms.ChoiceField(label=_("Order"), required=False, choices=[("", _("name")), ("completeness", _("least complete first"))])

    CATALOGS = {"category": "person_category", "gender": "gender", "rank": "civil_servant_rank", "professional_title": "professional_title",
                "position": "position", "qualification": "qualification_level", "political_theory": "political_theory",
                "state_management": "state_management", "ethnicity": "ethnicity"}

    def __init__(self, *args, hidden=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, catalog in self.CATALOGS.items():
            self.fields[name].choices = [("", "—")] + [(e.code, e.name) for e in entries(catalog)]
        for name in hidden:
            del self.fields[name]


def search_form(params, user) -> SearchForm:
    """The people list's filter form for this user, without the filters above the user's clearance (R-4.3)."""
    levels, default = authz.field_levels()
    cleared = search_clearance(user)
    hidden = [name for name, key in FILTER_FIELDS.items() if levels.get(key, default) > cleared]
    return SearchForm(params or None, hidden=hidden)


def search_query(params, user, form: SearchForm | None = None) -> PeopleQuery:
    """The people list's query parameters as a query, the same for the page and its exports; ServiceError naming the field
    for invalid input or for a filter above the user's clearance."""
    form = form or search_form(params, user)
    if not params:
        return PeopleQuery()
    for name in FILTER_FIELDS:
        if name not in form.fields and params.get(name) not in ("", None, "unknown"):  # "unknown": party_member's empty choice
            raise ServiceError(gettext("You are not cleared to search by this field."), name)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        label = form.fields[name].label if name in form.fields else name
        raise ServiceError(gettext("%(field)s: %(message)s") % {"field": label, "message": errors[0]}, name)
    data = form.cleaned_data
    return PeopleQuery(**{k: v for k, v in data.items() if k not in {"q", "unit", "order"} and v not in ("", None)},
                       text=data.get("q", ""), unit_id=data.get("unit"))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Person.Status.choices)
    effective_on = forms.DateField(label=_("Effective on"), widget=forms.DateInput(attrs={"type": "date"}))
    decision = forms.CharField(label=_("Decision"), required=False, max_length=120)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(forms.Form):
    section = forms.ChoiceField(label=_("Proof of the section"))
    label = forms.CharField(label=_("Description"), required=False, max_length=200)
    file = forms.FileField(label=_("Scanned document (PDF, JPEG, PNG)"))

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [(s.name, s.label) for s in sections]


class NewPersonForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "—")] + [(str(v.unit_id), f"{v.name} ({v.code})" if v.code else v.name) for v in units]


class RetirementForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit (and the units under it)"), required=False)
    months = forms.TypedChoiceField(label=_("Within (months)"), coerce=int, required=False, initial=12,
                                    choices=[(n, str(n)) for n in (3, 6, 12, 24, 36)])

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("all my units")), *units]
