from compliance.models import Reminder

from . import authz
from .services import password_change_due


def navigation(request):
    """Which menu entries to show; the pages check again on every request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": {"org_manage": authz.can(user, "org.manage"), "accounts_view": authz.can(user, "accounts.view"),
                    "people_view": authz.can(user, "people.view"), "approve": authz.can(user, "records.approve") or authz.can(user, "records.approve_head"),
                    "own_record": authz.can(user, "self.view"),
                    "arrivals": authz.can(user, "people.edit") or authz.can(user, "arrivals.decide"),
                    "reports": authz.can(user, "reports.view"), "exchange": authz.can(user, "exchange.view"),
                    "imports": authz.can(user, "people.import"),
                    "backups": authz.can(user, "backups.view"), "audit": authz.can(user, "audit.view"),
                    "inspections": authz.can(user, "inspections.record") or authz.can(user, "inspections.answer") or authz.can(user, "reports.view"),
                    "unread_reminders": Reminder.objects.filter(user=user, read_at__isnull=True).count()},
            "password_due": password_change_due(user)}
