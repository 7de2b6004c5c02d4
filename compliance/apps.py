from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """Deadlines of the regulation: the working-day calendar they are counted in."""

    name = "compliance"
