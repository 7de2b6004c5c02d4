from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    """Problems reported to Sở Nội vụ in writing, and their answers (R-19.5)."""

    name = "problems"
