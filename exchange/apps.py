from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Exchange with the national database and other systems (R-9.1, R-11.1-11.3, R-18.1, R-18.2, R-18.4): signed packets
    through an outbox and the NDXP adapter, reconciliation, inbound records, and the bulk import of legacy data."""

    name = "exchange"
