"""Events keep their own clock: the venue's time zone, backfilled from the country.

Until now every start was read in the site's TIME_ZONE. Existing events take
their country's zone (the site's where the country has several or is unknown),
and the open listings whose expiry was the old start follow it to the new one.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations, models

from events.zones import event_starts_at, time_zone_for_backfill

OPEN_LISTING_STATUSES = ("active", "pending")


def backfill_time_zones(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Listing = apps.get_model("listings", "Listing")
    site_zone = settings.TIME_ZONE
    for event in Event.objects.filter(time_zone="").iterator():
        event.time_zone = time_zone_for_backfill(event.country, site_zone)
        Event.objects.filter(pk=event.pk).update(time_zone=event.time_zone)
        if event.time_zone == site_zone:
            continue
        naive = datetime.datetime.combine(event.event_date, event.event_time or datetime.time.min)
        old_start = naive.replace(tzinfo=zoneinfo.ZoneInfo(site_zone))
        new_start = event_starts_at(event.event_date, event.event_time, event.time_zone)
        listings = Listing.objects.filter(
            ticket__event_id=event.pk, status__in=OPEN_LISTING_STATUSES
        )
        for listing in listings:
            if listing.expires_at == old_start or listing.expires_at > new_start:
                listing.expires_at = max(new_start, listing.listed_at)
                listing.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_price_tiers"),
        ("listings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="The venue's IANA time zone, e.g. Europe/Berlin. Blank: the "
                "country's (a country with several zones, such as US, AU, ES or PT, must "
                "name one).",
                max_length=64,
            ),
        ),
        migrations.RunPython(backfill_time_zones, migrations.RunPython.noop),
    ]
