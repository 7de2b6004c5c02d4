from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo_accounts
from accounts.services import load_roles
from orgs.demo import seed_demo_tree
from orgs.models import ReorgPlan, Unit


class Command(BaseCommand):
    help = "Seed the demo province (about 60 units) and one account per role when the database has no unit."

    def handle(self, *args, **options):
        if Unit.objects.exists():
            self.stdout.write("The database already has units: nothing seeded.")
        else:
            with transaction.atomic():
                load_roles()
                plan = seed_demo_tree(None)
                accounts = seed_demo_accounts()
                ReorgPlan.objects.update(created_by=accounts[0][0])
                ReorgPlan.objects.filter(status=ReorgPlan.Status.APPLIED).update(applied_by=accounts[0][0])
            self.stdout.write(f"Demo province seeded: {plan.steps.count()} units.")
        if settings.DEMO_MODE:
            self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
            for username, last, first, _kind, role, unit in DEMO_ACCOUNTS:
                self.stdout.write(f"  {username:12} {role:18} {last} {first} — {unit}")
