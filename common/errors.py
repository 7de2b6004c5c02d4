"""The error every service raises for refused input: a translated message and the field it concerns."""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class ServiceError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}

    def add_to_form(self, form) -> None:
        """Show the message beside the field it names, or above the form."""
        form.add_error(self.field if self.field in form.fields else None, str(self))


def document_too_large() -> str:
    return _("File: the document is larger than %(size)s.") % {"size": filesizeformat(settings.DOCUMENT_MAX_BYTES)}
