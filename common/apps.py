from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Cross-cutting pieces: base templates, static assets, text and date helpers."""

    name = "common"
