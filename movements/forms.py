from django import forms
from django.utils.translation import gettext_lazy as _

from people.forms import catalog_choices

from .models import Arrival


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


class ArrivalForm(forms.Form):
    to_unit = forms.ChoiceField(label=_("Receiving unit"))
    origin = forms.ChoiceField(label=_("Coming from"), choices=Arrival.Origin.choices)
    origin_agency = forms.CharField(label=_("Sending agency"), max_length=300)
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    birth_date = forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    citizen_id = forms.CharField(label=_("Citizen ID (CCCD)"), max_length=12, min_length=12)
    handover_on = forms.DateField(label=_("Record handed over on"), widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("The request is due within 10 working days of this day."))
    request_number = forms.CharField(label=_("Written request number"), max_length=100)
    request_date = forms.DateField(label=_("Written request date"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("Scanned written request (PDF, JPEG, PNG)"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].choices = units


class ArrivalDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason (needed to refuse)"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class RecordFileForm(forms.Form):
    file = forms.FileField(label=_("Record file received (JSON, national record format)"))
