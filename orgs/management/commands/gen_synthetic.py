from django.core.management.base import BaseCommand, CommandError

from orgs.demo import seed_synthetic_tree
from orgs.models import Unit


class Command(BaseCommand):
    help = "Build a province-scale synthetic organization tree for benchmarks, reproducible from a seed."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=1500)
        parser.add_argument("--people", type=int, default=0, help="People come with the personnel record.")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, **options):
        if Unit.objects.exists():
            raise CommandError("The database already has units; use an empty database.")
        if options["people"]:
            raise CommandError("Synthetic people need the personnel record, which is not built yet.")
        plan = seed_synthetic_tree(options["units"], options["seed"], None)
        self.stdout.write(f"{plan.steps.count()} units created.")
