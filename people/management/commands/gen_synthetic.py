import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orgs.demo import seed_synthetic_tree
from orgs.models import Unit
from people.synthetic import load_synthetic

PROGRESS_EVERY = 10_000


class Command(BaseCommand):
    help = ("Load synthetic people (complete, valid, approved records) over the open units of the tree, for benchmarks; reproducible "
            "from a seed. People are loaded in batches of 1,000, each atomic: an interrupted run keeps the batches already loaded, and "
            "a later run adds new people after them. With --units on an empty database, first builds a synthetic tree of that many units.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=0, help="How many people to add.")
        parser.add_argument("--units", type=int, default=0, help="Build a synthetic organization tree of this many units first (empty database).")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, **options):
        if options["units"]:
            if Unit.objects.exists():
                raise CommandError("The database already has units; build the synthetic tree on an empty database.")
            plan = seed_synthetic_tree(options["units"], options["seed"], None)
            self.stdout.write(f"{plan.steps.count()} units created.")
        elif not Unit.objects.exists():
            raise CommandError("The database has no unit to place people in: run seed_demo first, or give --units N to build a synthetic tree.")
        count = options["people"]
        if count <= 0:
            return
        start = time.perf_counter()

        def progress(done: int) -> None:
            if done % PROGRESS_EVERY == 0 or done == count:
                self.stdout.write(f"  {done:,} / {count:,} people ({time.perf_counter() - start:.0f} s)")

        loaded = load_synthetic(count, seed=options["seed"], today=timezone.localdate(), progress=progress)
        self.stdout.write(f"{loaded:,} people loaded in {time.perf_counter() - start:.1f} s.")
