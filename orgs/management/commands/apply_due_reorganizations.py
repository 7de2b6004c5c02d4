from django.core.management.base import BaseCommand

from orgs.services import apply_due_plans


class Command(BaseCommand):
    help = "Apply scheduled reorganization plans whose effective date has come (the worker also does this)."

    def handle(self, *args, **options):
        for plan in apply_due_plans():
            self.stdout.write(f"{plan.pk} {plan.status} {plan.title}")
