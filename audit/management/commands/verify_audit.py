from django.core.management.base import BaseCommand, CommandError

from audit import chain


class Command(BaseCommand):
    help = ("Check the audit log (R-4.2): recompute every link of its hash chain, find removed entries, and compare the chain with "
            "the signed daily checkpoints. Exits with an error naming each entry found altered, removed or inserted.")

    def add_arguments(self, parser):
        parser.add_argument("--seal", action="store_true", help="first link the events that are due and sign a checkpoint")

    def handle(self, *args, **options):
        if options["seal"]:
            chain.checkpoint()
        report = chain.verify()
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.intact:
            raise CommandError(f"The audit log was tampered with: {len(report.problems)} problems in {report.checked} entries.")
        self.stdout.write(f"The audit log is intact: {report.checked} entries, {report.checkpoints} signed checkpoints.")
