from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Append-only log of writes, refusals and sensitive reads."""

    name = "audit"
