from django import forms
from django.utils.translation import gettext_lazy as _


class SignForm(forms.Form):
    """How the approver signs: a PKCS#12 key used once in memory (never stored), or their own tool in two steps."""

    p12 = forms.FileField(label=_("Signing key (PKCS#12: .p12, .pfx)"), required=False)
    password = forms.CharField(label=_("Key password"), required=False, strip=False, widget=forms.PasswordInput(render_value=False))
    certificate = forms.FileField(label=_("Or, to sign with a USB token or a remote signing service: your certificate (PEM)"), required=False)


class WindowForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit (and the units under it)"))
    opens_on = forms.DateField(label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units


class RejectForm(forms.Form):
    """A reason per changed field (R-7.2), and a note for what no single field says."""

    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, paths: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for path, label in paths.items():
            self.fields[f"reason:{path}"] = forms.CharField(label=label, required=False, max_length=500)

    def reasons(self) -> dict[str, str]:
        return {name.removeprefix("reason:"): value for name, value in self.cleaned_data.items() if name.startswith("reason:") and value}
