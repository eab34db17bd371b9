import django.db.models.functions.text
from django.db import migrations, models

# Text search (event_search's `q`: name, venue or city, icontains) compares
# UPPER(column) LIKE '%...%'; on PostgreSQL trigram indexes serve it. SQLite
# (the embedded run) has no such index and scans its few rows.
TRIGRAM_COLUMNS = ("name", "venue_name", "city")


def trigram_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS events_{column}_trgm_idx "
            f"ON events USING gin (UPPER({column}) gin_trgm_ops)"
        )


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS events_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="event",
            name="events_city_idx",
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                django.db.models.functions.text.Upper("city"), name="events_city_upper_idx"
            ),
        ),
        migrations.RunPython(trigram_indexes_create, trigram_indexes_drop, elidable=False),
    ]
