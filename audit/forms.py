from django import forms
from django.utils.translation import gettext_lazy as _


class EventFilter(forms.Form):
    person = forms.IntegerField(label=_("Record number"), required=False, min_value=1, max_value=2**62)
    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    action = forms.CharField(label=_("Action"), required=False, max_length=64, help_text=_("the beginning is enough: people., approvals.sign"))
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("all in my scope"))] + list(units)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the period comes before its beginning."))
        return data
