from django.core.management.base import BaseCommand

from exchange.packets import SCHEMA_PATH, schema_text


class Command(BaseCommand):
    help = "Write the national packet's JSON Schema (exchange/schema/packet.schema.json) from the résumé form."

    def handle(self, *args, **options):
        SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
        self.stdout.write(str(SCHEMA_PATH))
