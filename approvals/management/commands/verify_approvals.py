import multiprocessing

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from approvals.models import VersionSignature
from approvals.services import UnitCodes, previous_hashes, revocation_lists, verify_version
from orgs.services import unit_by_code

CHUNK = 2000


def check(ids: list[int]) -> tuple[int, list[str]]:
    """Verify the signatures with these ids; how many were checked, and a line per failure."""
    crls = revocation_lists()
    failures = []
    signatures = list(VersionSignature.objects.filter(pk__in=ids).select_related("version__data_key").order_by("pk"))
    chains = previous_hashes({signature.version.person_id for signature in signatures})
    unit_codes = UnitCodes()
    for signature in signatures:
        previous = chains[(signature.version.person_id, signature.version.number)]
        result = verify_version(signature, crls=crls, unit_codes=unit_codes, previous=previous)
        if not result.valid:
            failures.append(f"person {signature.version.person_id} version {signature.version.number}: {result.reason}")
    return len(ids), failures


class Command(BaseCommand):
    help = "Verify every stored approval signature again and list the records whose data no longer matches what was signed."

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="identifier code of a unit: only its records")
        parser.add_argument("--workers", type=int, default=1, help="processes verifying in parallel (one per core)")

    def handle(self, *args, unit=None, workers=1, **options):
        signatures = VersionSignature.objects.order_by("pk")
        if unit:
            signatures = signatures.filter(version__unit=unit_by_code(unit))
        ids = list(signatures.values_list("pk", flat=True))
        chunks = [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]
        if workers > 1 and len(chunks) > 1:
            connections.close_all()  # each worker opens its own connection
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = list(pool.imap_unordered(check, chunks))
        else:
            results = [check(chunk) for chunk in chunks]
        failures = [line for _count, lines in results for line in lines]
        for line in failures:
            self.stdout.write(line)
        self.stdout.write(f"{sum(count for count, _lines in results)} signatures checked, {len(failures)} failed.")
        if failures:
            raise CommandError(f"{len(failures)} signatures do not verify")
