from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .standard_forms import FORMS


class DimensionsForm(forms.Form):
    rows = forms.ChoiceField(label=_("Rows"))
    columns = forms.ChoiceField(label=_("Columns"))

    def __init__(self, *args, dimensions=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(d.key, d.label) for d in dimensions]
        self.fields["rows"].choices = self.fields["columns"].choices = choices


class StandardFormForm(forms.Form):
    form = forms.ChoiceField(label=_("Form"), choices=[(f.code, f"{f.number} – {f.title}") for f in FORMS.values()])
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    day = forms.DateField(label=_("Reference date"), widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units

    def clean_day(self):
        return self.cleaned_data["day"] or timezone.localdate()


class StaffingForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units


class SavedSearchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(choices=[("people", "people"), ("statistics", "statistics")], widget=forms.HiddenInput)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
