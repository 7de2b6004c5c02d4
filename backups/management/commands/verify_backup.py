from django.core.management.base import BaseCommand, CommandError

from backups import services
from common.errors import ServiceError


class Command(BaseCommand):
    help = ("Verify a backup file: decrypt and check every part, restore it into a scratch database and compare its tables and "
            "documents with the manifest. The result is recorded as a check.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file, or its name in BACKUP_DIR")

    def handle(self, *args, file, **options):
        try:
            result = services.verify_backup(file)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if not result.ok:
            raise CommandError(result.message)
        self.stdout.write(result.message)
