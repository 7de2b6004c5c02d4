from django.apps import AppConfig


class CatalogsConfig(AppConfig):
    """National category lists (danh mục)."""

    name = "catalogs"
