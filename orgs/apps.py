from django.apps import AppConfig


class OrgsConfig(AppConfig):
    """The organization tree with its history and reorganizations."""

    name = "orgs"
