from django.core.management.base import BaseCommand

from accounts.authz import scope
from orgs.services import apply_due_plans


class Command(BaseCommand):
    help = "Apply scheduled reorganization plans whose effective date has come (the worker also does this)."

    def handle(self, *args, **options):
        for plan in apply_due_plans(scope_of=lambda user, day: scope(user, "org.manage", day).unit_ids):
            self.stdout.write(f"{plan.pk} {plan.status} {plan.title}")
