from django.core.management.base import BaseCommand, CommandError

from backups import services
from common.errors import ServiceError


class Command(BaseCommand):
    help = ("Restore a backup file into the database at --into and its documents into --documents (by default this system's "
            "documents directory). The whole file is checked first; a target that holds data is refused unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file, or its name in BACKUP_DIR")
        parser.add_argument("--into", required=True, help="the target database URL: sqlite:////path/db.sqlite3 or postgres://user@host:5432/name")
        parser.add_argument("--documents", help="where the stored documents go; by default MEDIA_ROOT")
        parser.add_argument("--force", action="store_true", help="replace what the target database and documents directory hold")

    def handle(self, *args, file, into, documents=None, force=False, **options):
        try:
            result = services.restore(file, into, force=force, documents_into=documents)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Restored {result['file']}: {result['tables']} tables, {result['rows']} rows, {result['documents']} documents "
                          f"({result['documents_written']} written). Run `manage.py migrate` on it if this code is newer than the backup.")
