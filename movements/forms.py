from django import forms
from django.utils.translation import gettext_lazy as _

from people.forms import catalog_choices


class TransferForm(forms.Form):
    to_unit = forms.ChoiceField(label=_("To the unit"))
    position = forms.ChoiceField(label=_("New position (if the decision appoints one)"), required=False)
    decision_number = forms.CharField(label=_("Decision number"), max_length=100)
    decision_date = forms.DateField(label=_("Decision date"), widget=forms.DateInput(attrs={"type": "date"}))
    effective_on = forms.DateField(label=_("Effective on"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("Scanned decision (PDF, JPEG, PNG)"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].choices = units
        self.fields["position"].choices = catalog_choices("position")
