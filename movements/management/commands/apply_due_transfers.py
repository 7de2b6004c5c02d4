from django.core.management.base import BaseCommand

from movements.services import apply_due


class Command(BaseCommand):
    help = "Apply scheduled transfers whose effective date has come (the worker also does this)."

    def handle(self, *args, **options):
        for moved in apply_due():
            self.stdout.write(f"{moved.pk} {moved.person_id} -> unit {moved.to_unit_id} on {moved.effective_on}")
