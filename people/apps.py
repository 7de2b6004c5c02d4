from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """The personnel record (hồ sơ): résumé sections, contracts, scanned proofs, change sets, approved versions, statuses."""

    name = "people"
