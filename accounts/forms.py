from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.forms import DateInput

from .models import Role


class UnitCodeField(forms.CharField):
    """A unit chosen by its identifier code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 13)
        kwargs.setdefault("label", _("Unit (code)"))
        super().__init__(**kwargs)


class WrittenRequestForm(forms.Form):
    """The written request (văn bản đề nghị) every access change rests on."""

    document_number = forms.CharField(label=_("Request document number"), max_length=100)
    document_date = forms.DateField(label=_("Request document date"), widget=DateInput())
    scan = forms.FileField(label=_("Scanned request (PDF or image)"))

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        if scan.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        if not scan.name.lower().endswith((".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")):
            raise forms.ValidationError(_("Attach a PDF or an image."))
        return scan


class PersonalAccountForm(forms.Form):
    unit = UnitCodeField(label=_("Employing unit (code)"))
    last_name = forms.CharField(label=_("Family and middle names"), max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150)
    citizen_id = forms.CharField(label=_("Citizen ID (CCCD)"), max_length=12, min_length=12)
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)


class AgencyAccountForm(WrittenRequestForm):
    unit = UnitCodeField()
    last_name = forms.CharField(label=_("Head's family and middle names"), max_length=150)
    first_name = forms.CharField(label=_("Head's given name"), max_length=150)
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)


class GrantForm(WrittenRequestForm):
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.all())
    unit = UnitCodeField(label=_("Scope: unit (code)"))
    include_subtree = forms.BooleanField(label=_("Including the units under it"), required=False, initial=True)
    read_only = forms.BooleanField(label=_("Read only"), required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput(), initial=timezone.localdate)
    valid_to = forms.DateField(label=_("Valid to"), widget=DateInput(), required=False)


class GrantChangeForm(WrittenRequestForm):
    CHANGES = [("restrict", _("Restrict")), ("extend", _("Extend")), ("revoke", _("Revoke"))]
    change = forms.ChoiceField(label=_("Change"), choices=CHANGES)
    read_only = forms.BooleanField(label=_("Read only"), required=False)
    unit = UnitCodeField(label=_("Narrower scope: unit (code)"), required=False)
    valid_to = forms.DateField(label=_("New end date"), widget=DateInput(), required=False)


class RenameForm(forms.Form):
    username = forms.CharField(label=_("New username"), max_length=150)


class LockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Allowed actions (empty: all of your roles)"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)

    def __init__(self, *args, **kwargs):
        from .authz import ACTIONS

        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(a, a) for a in ACTIONS]


class PasswordReportForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    kind = forms.ChoiceField(label=_("What happened"), choices=[("lost", _("I lost or forgot my password")),
                                                               ("stolen", _("Someone else may know my password"))],
                             widget=forms.RadioSelect)
    message = forms.CharField(label=_("How to reach you, and anything else"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class SystemAccountForm(WrittenRequestForm):
    name = forms.CharField(label=_("System name"), max_length=100, help_text=_("e.g. CSDL quoc gia"))
    unit = UnitCodeField(label=_("Scope: unit (code)"))
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.all())
