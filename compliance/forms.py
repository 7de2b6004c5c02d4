from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AnnualReport, Finding, Obligation

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


class ParFilter(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2020, max_value=2100)
    unit = forms.CharField(label=_("Units under (code)"), required=False, max_length=13)


class ParFormulaForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2020, max_value=2100)
    completeness = forms.IntegerField(label=_("Record completeness"), min_value=0, max_value=100)
    timeliness = forms.IntegerField(label=_("Deadlines met in time"), min_value=0, max_value=100)
    approval = forms.IntegerField(label=_("Records approved and signed"), min_value=0, max_value=100)
    sync = forms.IntegerField(label=_("Records synced with the national database"), min_value=0, max_value=100)


class AnnualReportForm(forms.Form):
    unit = forms.CharField(label=_("Unit (code); empty: your unit"), required=False, max_length=13)
    year = forms.IntegerField(label=_("Year reported on"), min_value=2020, max_value=2100)


class ReportTextForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = AnnualReport.TEXTS
        widgets = {name: forms.Textarea(attrs={"rows": 6}) for name in AnnualReport.TEXTS}
