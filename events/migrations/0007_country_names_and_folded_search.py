"""The event's country becomes django-countries' field (the same varchar(2)
column of ISO codes and its check constraint: no change to the table), and the
text search ignores accents as well as case.

Search (marketplace/core/search.py): event_search compares
encore_fold(column) LIKE '%' || encore_fold(needle) || '%' for the name, the
venue and the city. On PostgreSQL encore_fold is lower(unaccent(...)), declared
IMMUTABLE so a trigram index can hold it; unaccent() itself is only STABLE
(its dictionary could change), which is why the wrapper names its dictionary
explicitly and schema-qualifies it. The trigram indexes on UPPER(column) of
migration 0002 stay for the admin's search (icontains).

unaccent and pg_trgm are trusted extensions (PostgreSQL 13+): the database's
owner may create them; otherwise the DBA creates them first (docs/operations.md).
SQLite (the embedded run) registers encore_fold on each connection instead and
has no index to build.
"""

import django.contrib.postgres.operations
from django.db import migrations

import marketplace.core.countries

FOLD_COLUMNS = ("name", "venue_name", "city")

FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION public.encore_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


def fold_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FOLD_FUNCTION)
    for column in FOLD_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS events_{column}_fold_trgm_idx "
            f"ON events USING gin (public.encore_fold({column}) gin_trgm_ops)"
        )


def fold_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in FOLD_COLUMNS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS events_{column}_fold_trgm_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS public.encore_fold(text)")


class Migration(migrations.Migration):
    # The indexes are built CONCURRENTLY (outside a transaction): the events
    # table takes writes while they build (docs/operations.md, "Deploys").
    atomic = False

    dependencies = [
        ("events", "0006_event_picture"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="country",
            field=marketplace.core.countries.CountryField(
                help_text="ISO 3166-1 alpha-2 code, e.g. IE.", max_length=2
            ),
        ),
        django.contrib.postgres.operations.UnaccentExtension(),
        django.contrib.postgres.operations.TrigramExtension(),
        migrations.RunPython(fold_indexes_create, fold_indexes_drop, elidable=False),
    ]
