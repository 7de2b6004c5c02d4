from django.core.management.base import BaseCommand

from accounts.services import load_roles


class Command(BaseCommand):
    help = "Create or update the roles of data/roles.json (idempotent)."

    def handle(self, *args, **options):
        self.stdout.write(f"{load_roles()} roles loaded.")
