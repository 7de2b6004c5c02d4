from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (XLSX or CSV)"))
    unit = forms.TypedChoiceField(label=_("Unit for rows without a unit code"), required=False, coerce=int, empty_value=None)
    dry_run = forms.BooleanField(label=_("Dry run: check every row, change nothing"), required=False, initial=True)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("the unit code of each row"))] + list(units)
