from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    """Inspections of how units update, approve, manage and use the database, with the measures proposed (R-14.4, R-16.5)."""

    name = "inspections"
