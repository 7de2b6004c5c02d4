from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Inspection

STATES = [("", _("all")), ("open", _("waiting for the answer")), ("overdue", _("answer overdue")), ("answered", _("answered")),
          ("closed", _("closed"))]


class InspectionFilter(forms.Form):
    unit = forms.CharField(label=_("Unit (code): it and the units under it"), required=False, max_length=13)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATES)
    area = forms.ChoiceField(label=_("Area"), required=False, choices=[("", _("all")), *Inspection.Area.choices])


class InspectionForm(forms.Form):
    unit = forms.CharField(label=_("Inspected unit (code)"), max_length=13)
    person = forms.CharField(label=_("Person concerned (record number), if the findings concern one"), required=False, max_length=20)
    area = forms.ChoiceField(label=_("Area"), choices=Inspection.Area.choices)
    inspected_on = forms.DateField(label=_("Inspected on"), widget=forms.DateInput(attrs={"type": "date"}))
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 6}))
    measures = forms.CharField(label=_("Measures proposed, one per line"), widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("Against the person when the findings concern one, otherwise against the unit."))

    def clean_person(self):
        value = self.cleaned_data["person"].strip().lstrip("#")
        if value and not value.isdigit():
            raise forms.ValidationError(_("Person: give the record number (digits)."))
        return int(value) if value else None

    def clean_measures(self):
        return [line for line in self.cleaned_data["measures"].splitlines() if line.strip()]


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Answer of the unit"), widget=forms.Textarea(attrs={"rows": 4}))
    measures_done = forms.TypedMultipleChoiceField(label=_("Measures done"), required=False, coerce=int,
                                                   widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, inspection=None, **kwargs):
        super().__init__(*args, **kwargs)
        if inspection is not None:
            self.fields["measures_done"].choices = [(m.pk, m.text) for m in inspection.measures.all() if m.done_on is None]


class CloseForm(forms.Form):
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 4}))
