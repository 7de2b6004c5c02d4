from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Monthly approval of records (phê duyệt) by digital signature: what is signed, signers, verification."""

    name = "approvals"
