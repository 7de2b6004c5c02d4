from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ProblemReport
from .services import SUBJECT_MAX, TEXT_MAX


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (none too): a list of uploads; their content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


FILES_HELP = _("Scans or screenshots: PDF, JPEG or PNG, several at once if needed.")


class ProblemForm(forms.Form):
    category = forms.ChoiceField(label=_("Kind of problem"), choices=ProblemReport.Category.choices)
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    description = forms.CharField(label=_("Description"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 8}),
                                  help_text=_("What you did, what you expected, what happened; the record or page concerned."))
    files = MultipleFileField(label=_("Attachments"), help_text=FILES_HELP)


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Attachments"), help_text=FILES_HELP)
    internal = forms.BooleanField(label=_("Internal note for the handlers (not shown to the reporter)"), required=False)

    def __init__(self, *args, handler=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not handler:
            del self.fields["internal"]


class StateFilter(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("all")), *ProblemReport.State.choices])
