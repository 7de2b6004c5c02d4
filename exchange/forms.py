from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Packet


class PacketFilter(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("any"))] + list(Packet.State.choices))
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("all in my scope"))] + list(units)
