from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bulk import of the province's legacy records from XLSX or CSV (R-9.1): a template, validation of every row against the
    rules of the record form, a dry run, and an all-or-nothing apply that makes each person's first approved version."""

    name = "imports"
