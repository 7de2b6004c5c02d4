from django.core.management.base import BaseCommand, CommandError

from approvals.models import VersionSignature
from approvals.services import verify_version
from orgs.services import unit_by_code


class Command(BaseCommand):
    help = "Verify every stored approval signature again and list the records whose data no longer matches what was signed."

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="identifier code of a unit: only its records")

    def handle(self, *args, unit=None, **options):
        signatures = VersionSignature.objects.select_related("version__person", "version__unit", "version__data_key").order_by("pk")
        if unit:
            signatures = signatures.filter(version__unit=unit_by_code(unit))
        bad = 0
        for signature in signatures.iterator(chunk_size=500):
            result = verify_version(signature)
            if not result.valid:
                bad += 1
                version = signature.version
                self.stdout.write(f"person {version.person_id} version {version.number}: {result.reason}")
        self.stdout.write(f"{signatures.count()} signatures checked, {bad} failed.")
        if bad:
            raise CommandError(f"{bad} signatures do not verify")
