from django.apps import AppConfig


class MovementsConfig(AppConfig):
    """Movements of people (điều động, luân chuyển, chuyển công tác): transfers between units from a decision."""

    name = "movements"
