import csv
import datetime
import io
import json
import zipfile

import openpyxl
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogs.services import entries as catalog_entries

from .models import ReorgStep


def _choices(catalog_code: str):
    return [("", "—")] + [(e.code, e.name) for e in catalog_entries(catalog_code, as_of=timezone.localdate())]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def day(self) -> datetime.date:
        if self.is_valid() and self.cleaned_data.get("as_of"):
            return self.cleaned_data["as_of"]
        return timezone.localdate()


class DecisionFields(forms.Form):
    effective_date = forms.DateField(label=_("Effective date"), widget=DateInput(), initial=timezone.localdate)
    decision_number = forms.CharField(label=_("Decision number"), max_length=100, required=False)


class UnitForm(DecisionFields):
    """Create a unit or change its information."""

    name = forms.CharField(label=_("Name"), max_length=300)
    short_name = forms.CharField(label=_("Short name"), max_length=120, required=False)
    code = forms.CharField(label=_("Identifier code"), max_length=13, required=False,
                           help_text=_("Decision 20/2020/QĐ-TTg, e.g. 000.00.07.H19"))
    kind = forms.ChoiceField(label=_("Unit kind"))
    level = forms.ChoiceField(label=_("Unit level"))
    parent = forms.CharField(label=_("Parent unit (code)"), required=False, max_length=13)
    managing_body = forms.CharField(label=_("Managing body (code)"), required=False, max_length=13,
                                    help_text=_("Leave empty when it is the parent unit."))
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _choices("unit_kind")
        self.fields["level"].choices = _choices("unit_level")


class MoveForm(DecisionFields):
    parent = forms.CharField(label=_("New parent unit (code)"), max_length=13)


class DissolveForm(DecisionFields):
    children_to = forms.CharField(label=_("Move its sub-units to (code)"), max_length=13, required=False)
    people_to = forms.CharField(label=_("Its people go to (code)"), max_length=13, required=False,
                                help_text=_("Needed when the unit still has working people; closed records go to the unit above."))


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    effective_date = forms.DateField(label=_("Effective date"), widget=DateInput())
    decision_number = forms.CharField(label=_("Decision number"), max_length=100, required=False)
    decision_date = forms.DateField(label=_("Decision date"), required=False, widget=DateInput())


class StepForm(forms.Form):
    """One step of a plan; the fields used depend on the operation (the page shows only those)."""

    operation = forms.ChoiceField(label=_("Operation"), choices=ReorgStep.Operation.choices)
    unit = forms.CharField(label=_("Unit (code)"), required=False, max_length=13)
    target = forms.CharField(label=_("Into unit (code)"), required=False, max_length=13)
    sources = forms.CharField(label=_("Units (codes, comma separated)"), required=False, max_length=2000)
    parent = forms.CharField(label=_("Parent unit (code)"), required=False, max_length=13)
    name = forms.CharField(label=_("Name of the new unit"), required=False, max_length=300)
    short_name = forms.CharField(label=_("Short name"), required=False, max_length=120)
    code = forms.CharField(label=_("Identifier code"), required=False, max_length=13)
    kind = forms.ChoiceField(label=_("Unit kind"), required=False)
    level = forms.ChoiceField(label=_("Unit level"), required=False)
    keep_source = forms.BooleanField(label=_("The unit continues (tách)"), required=False)
    children_to = forms.CharField(label=_("Move its sub-units to (code)"), required=False, max_length=13)
    people_to = forms.CharField(label=_("Its people go to (code)"), required=False, max_length=13)
    people = forms.CharField(label=_("People who move to the new unit (record numbers, comma separated)"), required=False, max_length=20000)

    # Which inputs each operation uses, for the page and for building params.
    FIELDS = {
        "create": ["name", "short_name", "code", "kind", "level", "parent"],
        "update": ["unit", "name", "short_name", "code", "kind", "level"],
        "move": ["unit", "parent"],
        "merge": ["unit", "target"],
        "consolidate": ["sources", "name", "short_name", "code", "kind", "level", "parent"],
        "split": ["unit", "name", "short_name", "code", "kind", "level", "keep_source", "people"],
        "dissolve": ["unit", "children_to", "people_to"],
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _choices("unit_kind")
        self.fields["level"].choices = _choices("unit_level")

    def params(self) -> dict:
        data, op = self.cleaned_data, self.cleaned_data["operation"]
        unit_fields = {k: data[k] for k in ("name", "short_name", "code", "kind", "level") if data.get(k)}
        if op == "create":
            return {**unit_fields, "parent": data["parent"] or None}
        if op == "update":
            return {"unit": data["unit"], **unit_fields}
        if op == "move":
            return {"unit": data["unit"], "parent": data["parent"]}
        if op == "merge":
            return {"source": data["unit"], "target": data["target"]}
        if op == "consolidate":
            sources = [s.strip() for s in data["sources"].split(",") if s.strip()]
            new = {**unit_fields, **({"parent": data["parent"]} if data["parent"] else {})}
            return {"sources": sources, "new": new}
        if op == "split":
            part = {**unit_fields, **({"people": data["people"]} if data["people"] else {})}
            return {"source": data["unit"], "keep_source": data["keep_source"], "new_units": [part]}
        return {"unit": data["unit"], "children_to": data["children_to"] or None, "people_to": data["people_to"] or None}


# Vietnamese names an officer may type in a spreadsheet's "operation" column.
OPERATION_ALIASES = {
    "thành lập": "create", "tạo": "create", "thay đổi": "update", "đổi tên": "update", "chuyển": "move",
    "sáp nhập": "merge", "hợp nhất": "consolidate", "chia": "split", "tách": "split", "chia, tách": "split", "giải thể": "dissolve",
}
TRUE_WORDS = {"1", "x", "có", "co", "true", "yes"}


def steps_from_rows(rows: list[dict]) -> list[dict]:
    """Plan steps from spreadsheet rows, each checked by StepForm; the first bad row stops with its number."""
    steps = []
    for number, row in enumerate(rows, start=2):  # row 1 holds the column names
        data = {str(k).strip().lower(): ("" if v is None else str(v).strip()) for k, v in row.items() if k}
        if not any(data.values()):
            continue
        data["operation"] = OPERATION_ALIASES.get(data.get("operation", "").lower(), data.get("operation", "").lower())
        if data.get("keep_source", "").lower() not in TRUE_WORDS:
            data.pop("keep_source", None)
        form = StepForm(data)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise forms.ValidationError(_("Row %(row)s, column “%(field)s”: %(error)s") % {"row": number, "field": field, "error": errors[0]})
        steps.append({"operation": form.cleaned_data["operation"], "params": form.params()})
    return steps


def _read_csv(upload) -> list[dict]:
    text = upload.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _read_xlsx(upload) -> list[dict]:
    book = openpyxl.load_workbook(upload, read_only=True, data_only=True)
    rows = book.active.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, [])]
    return [dict(zip(header, row, strict=False)) for row in rows]


class StepsUploadForm(forms.Form):
    file = forms.FileField(label=_("Steps file (CSV, Excel or JSON)"),
                           help_text=_("One step per row; columns as in the template. JSON: a list of {\"operation\": ..., \"params\": {...}}."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        name = upload.name.lower()
        try:
            if name.endswith(".csv"):
                return steps_from_rows(_read_csv(upload))
            if name.endswith(".xlsx"):
                return steps_from_rows(_read_xlsx(upload))
            steps = json.loads(upload.read().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("The file is not valid JSON: %(error)s") % {"error": exc}) from exc
        except (csv.Error, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise forms.ValidationError(_("The file cannot be read: %(error)s") % {"error": exc}) from exc
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise forms.ValidationError(_("The file must hold a list of steps."))
        return steps


class QuotaForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1945, max_value=2200, initial=lambda: timezone.localdate().year)
    category = forms.ChoiceField(label=_("Category"))
    amount = forms.IntegerField(label=_("Amount"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _choices("person_category")


class PositionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=300)
    category = forms.ChoiceField(label=_("Category"))
    count = forms.IntegerField(label=_("Posts"), min_value=0, initial=1)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput(), initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _choices("person_category")
