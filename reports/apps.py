from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Use of the data (R-3.13, R-9.2-9.5): search and statistics, the Ministry's report forms, exports, printing and signed exports."""

    name = "reports"
