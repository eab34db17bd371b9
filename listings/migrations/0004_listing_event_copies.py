"""Each listing carries its event's search fields (listings/event_copies.py), and
the search indexes over the listings on sale.

The copies of the existing listings are filled in one UPDATE ... FROM on
PostgreSQL (500,000 listings in seconds); the start (Event.starts_at, in the
venue's zone with its daylight-saving rule) is worked out once per event in
Python, as the application does, and passed in as arrays.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from events.zones import event_starts_at, time_zone_for_backfill


def _start(event):
    zone = event.time_zone or time_zone_for_backfill(event.country, settings.TIME_ZONE)
    return event_starts_at(event.event_date, event.event_time, zone)


def copies_fill(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Listing = apps.get_model("listings", "Listing")
    events = list(
        Event.objects.filter(tickets__listings__isnull=False)
        .distinct()
        .only("pk", "event_date", "event_time", "time_zone", "country")
    )
    if not events:
        return
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            # Rewriting every row would also write each one into every index of
            # the table: dropped for the UPDATE and built again after, the same
            # indexes take half the time (24 s -> 12 s for 500,000 listings). The
            # ALTER TABLEs before hold the table's lock: nobody sees it without them.
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = 'listings' "
                "AND indexname <> 'listings_pkey'"
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(
                """
                UPDATE listings AS l
                SET event_id = e.id,
                    event_status = e.status,
                    event_category = e.category,
                    event_country = e.country,
                    event_city = e.city,
                    event_date = e.event_date,
                    event_starts_at = s.starts_at
                FROM tickets AS t
                JOIN events AS e ON e.id = t.event_id
                JOIN (SELECT unnest(%s::bigint[]) AS id, unnest(%s::timestamptz[]) AS starts_at)
                    AS s ON s.id = e.id
                WHERE t.id = l.ticket_id
                """,
                [[event.pk for event in events], [_start(event) for event in events]],
            )
            for _, definition in indexes:
                cursor.execute(definition)
        return
    # The embedded run (SQLite) holds a few hundred listings.
    for event in Event.objects.filter(pk__in=[event.pk for event in events]):
        Listing.objects.filter(ticket__event=event).update(
            event=event,
            event_status=event.status,
            event_category=event.category,
            event_country=event.country,
            event_city=event.city,
            event_date=event.event_date,
            event_starts_at=_start(event),
        )


SEARCHABLE = models.Q(("event_status", "published"), ("status", "active"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_resale_rules"),
        ("listings", "0003_waitlist"),
        ("tickets", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="events.event",
            ),
        ),
        migrations.AddField(
            model_name="listing",
            name="event_status",
            field=models.CharField(max_length=16, null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="event_category",
            field=models.CharField(max_length=16, null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="event_country",
            field=models.CharField(max_length=2, null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="event_city",
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="event_date",
            field=models.DateField(help_text="The event's date, at the venue.", null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="event_starts_at",
            field=models.DateTimeField(help_text="The event's start (Event.starts_at).", null=True),
        ),
        # The search reads listings_search_price_idx instead: one index less to
        # write on every listing's change.
        migrations.RemoveIndex(model_name="listing", name="listings_status_price_idx"),
        migrations.RunPython(copies_fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="listing",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="events.event",
            ),
        ),
        migrations.AlterField(
            model_name="listing",
            name="event_status",
            field=models.CharField(max_length=16),
        ),
        migrations.AlterField(
            model_name="listing",
            name="event_category",
            field=models.CharField(max_length=16),
        ),
        migrations.AlterField(
            model_name="listing",
            name="event_country",
            field=models.CharField(max_length=2),
        ),
        migrations.AlterField(
            model_name="listing",
            name="event_city",
            field=models.CharField(max_length=100),
        ),
        migrations.AlterField(
            model_name="listing",
            name="event_date",
            field=models.DateField(help_text="The event's date, at the venue."),
        ),
        migrations.AlterField(
            model_name="listing",
            name="event_starts_at",
            field=models.DateTimeField(help_text="The event's start (Event.starts_at)."),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["event", "price", "event_date", "event_starts_at", "id"],
                name="listings_event_active_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=SEARCHABLE,
                fields=["price", "event_date", "event_starts_at", "id"],
                include=("expires_at",),
                name="listings_search_price_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=SEARCHABLE,
                fields=["-price", "event_date", "event_starts_at", "id"],
                include=("expires_at",),
                name="listings_search_dearest_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=SEARCHABLE,
                fields=["event_date", "event_starts_at", "price", "id"],
                include=("expires_at",),
                name="listings_search_date_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=SEARCHABLE,
                fields=["-event_date", "-event_starts_at", "price", "id"],
                include=("expires_at",),
                name="listings_search_latest_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=SEARCHABLE,
                fields=["event_category", "price", "event_date", "event_starts_at", "id"],
                include=("expires_at",),
                name="listings_search_category_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                django.db.models.functions.text.Upper("event_city"),
                models.F("event_date"),
                models.F("event_starts_at"),
                models.F("price"),
                models.F("id"),
                condition=SEARCHABLE,
                include=("expires_at",),
                name="listings_search_city_idx",
            ),
        ),
    ]
