from django.apps import apps
from django.core.management.base import BaseCommand

from common.crypto import new_data_key, reencrypt, rewrap_data_keys

# Models holding encrypted fields (columns `sealed` and `data_key`).
SEALED_MODELS = ["people.RecordVersion", "people.ChangeSet"]


class Command(BaseCommand):
    help = ("Rotate the keys of encrypted fields without downtime (R-16.4). "
            "After putting a new master key first in FIELD_MASTER_KEYS: re-wrap the data keys under it. "
            "With --data-key: also make a new data key and re-encrypt every row in batches; safe to stop and run again.")

    def add_arguments(self, parser):
        parser.add_argument("--data-key", action="store_true", help="make a new data key and re-encrypt the rows under it")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, data_key=False, batch_size=500, **options):
        self.stdout.write(f"Data keys re-wrapped under the current master key: {rewrap_data_keys()}")
        if data_key:
            new_data_key()
        for label in SEALED_MODELS:
            done = reencrypt(apps.get_model(label), batch_size)
            self.stdout.write(f"{label}: {done} rows re-encrypted")
