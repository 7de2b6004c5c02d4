from django.core.management.base import BaseCommand, CommandError

from catalogs.services import CATALOG_DIR, CatalogFileError, load_catalogs


class Command(BaseCommand):
    help = "Load the catalog data files (data/catalogs/*.json). Idempotent, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(CATALOG_DIR))

    def handle(self, *args, **options):
        try:
            results = load_catalogs(options["dir"])
        except CatalogFileError as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            line = f"{result.code}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            if result.missing_from_file:
                line += f"; kept but no longer in the file: {', '.join(result.missing_from_file)}"
            self.stdout.write(line)
