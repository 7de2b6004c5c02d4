from django.core.management.base import BaseCommand

from compliance.dashboards import take_snapshot
from compliance.quality import run_checks
from compliance.reminders import send_reminders
from compliance.services import refresh
from compliance.tasks import schedule_daily


class Command(BaseCommand):
    help = ("Recompute every obligation from the data and send the day's reminders (the worker does this each night); "
            "--schedule only makes sure the worker's nightly run is waiting.")

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true")

    def handle(self, *args, schedule=False, **options):
        if schedule:
            self.stdout.write("Nightly run scheduled." if schedule_daily() else "The nightly run is already waiting.")
            return
        counts = refresh()
        self.stdout.write(f"Obligations: {counts['created']} created, {counts['updated']} updated, {counts['dropped']} dropped.")
        self.stdout.write(f"Dashboards: {take_snapshot()} units counted.")
        self.stdout.write("Data-quality findings: {opened} opened, {resolved} resolved.".format(**run_checks()))
        self.stdout.write(f"Reminders added: {send_reminders()}.")
