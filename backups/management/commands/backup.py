from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from backups import services
from backups.models import Backup
from backups.tasks import schedule_nightly
from common.errors import ServiceError


class Command(BaseCommand):
    help = ("Back up the database and the stored documents into an encrypted file of BACKUP_DIR, then verify it by restoring it "
            "into a scratch database (the worker does this each night at 02:00); --schedule only makes sure that nightly run is waiting.")

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=Backup.Kind.values, help="by default: the month's first is monthly, the week's first weekly")
        parser.add_argument("--no-verify", action="store_true", help="do not verify the backup now")
        parser.add_argument("--prune", action="store_true", help="then delete the backups the retention policy no longer keeps")
        parser.add_argument("--schedule", action="store_true")

    def handle(self, *args, kind=None, no_verify=False, prune=False, schedule=False, **options):
        if schedule:
            self.stdout.write("Nightly backup scheduled." if schedule_nightly() else "The nightly backup is already waiting.")
            return
        try:
            backup = services.create_backup(kind)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Backup written: {services.backup_path(backup)} ({backup.kind}, {filesizeformat(backup.size)}, "
                          f"{len(backup.manifest['tables'])} tables, {backup.manifest['documents']['count']} documents).")
        if not no_verify:
            result = services.verify_backup(services.backup_path(backup))
            self.stdout.write(result.message)
            if not result.ok:
                raise CommandError("the backup does not verify")
        if prune:
            for pruned in services.prune():
                self.stdout.write(f"Deleted by the retention policy: {pruned.file_name}")
