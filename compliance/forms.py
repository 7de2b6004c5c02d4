from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Finding, Obligation

STATES = [("", _("all")), ("open", _("open")), ("overdue", _("overdue")), ("done", _("met in time")), ("late", _("met late")),
          ("dropped", _("no longer due"))]


class OverrideForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    working = forms.TypedChoiceField(label=_("The day becomes"), coerce=lambda v: v == "1",
                                     choices=[("0", _("a day off")), ("1", _("a working day"))])
    reason = forms.CharField(label=_("Reason (the government's announcement)"), max_length=300)


class ObligationFilter(forms.Form):
    unit = forms.CharField(label=_("Unit (code): it and the units under it"), required=False, max_length=13)
    kind = forms.ChoiceField(label=_("Obligation"), required=False, choices=[("", _("all")), *Obligation.Kind.choices])
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATES)


class FindingFilter(forms.Form):
    unit = forms.CharField(label=_("Unit (code): it and the units under it"), required=False, max_length=13)
    rule = forms.ChoiceField(label=_("Check"), required=False, choices=[("", _("all")), *Finding.Rule.choices])
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("open", _("open")), ("resolved", _("resolved")), ("", _("all"))])
