from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Encrypted, verified backups of the database and the stored documents, with retention and check records (R-10.1,
    R-10.2, R-13.2, R-16.6)."""

    name = "backups"
