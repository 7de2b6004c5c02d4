"""On PostgreSQL, a trigram index makes a name search (LIKE '%…%' on search_key) fast at 100,000 people.
SQLite has no such index and runs the same query by scan."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_search_key_trgm ON people_person USING gin (search_key gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS person_search_key_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
