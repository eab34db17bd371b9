"""An event as an iCalendar file (RFC 5545), for a fan's calendar app.

The event keeps its own clock (events/zones.py): DTSTART and DTEND are written
in the venue's time zone (TZID, with its VTIMEZONE), so the calendar shows the
start at the venue's time wherever the fan is. An event without a start time
is an all-day event (DATE values). Events have no end time in Encore: the
calendar entry lasts DEFAULT_DURATION.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .models import Event

# How long the calendar entry of an event with a start time lasts.
DEFAULT_DURATION = datetime.timedelta(hours=3)
PRODUCT_ID = "-//Encore//Fan-to-fan tickets//EN"


def event_location(event: Event) -> str:
    """ "Venue, street, city, country" as one line, the parts the event has."""
    parts = [event.venue_name, event.location, event.city, event.country]
    return ", ".join(part for part in (p.strip() for p in parts) if part)


def event_calendar_uid(*, event: Event, purchase_id=None) -> str:
    """The same UID every time for one event (and one purchase of it): a
    calendar app that opens the file twice updates its entry, not a copy."""
    domain = urlsplit(settings.SITE_URL).hostname or "encore.localhost"
    purchase = f"-purchase-{purchase_id}" if purchase_id is not None else ""
    return f"event-{event.pk}{purchase}@{domain}"


def event_calendar(
    *, event: Event, purchase_id=None, url: str = "", description: str = "", stamp=None
) -> bytes:
    """The .ics file of `event` (one VEVENT), for the purchase `purchase_id`
    if given: SUMMARY, LOCATION, URL and DESCRIPTION as passed."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", event_calendar_uid(event=event, purchase_id=purchase_id))
    entry.add("dtstamp", stamp or datetime.datetime.now(tz=datetime.UTC))
    entry.add("summary", event.name)
    if event.event_time is None:
        entry.add("dtstart", event.event_date)
        entry.add("dtend", event.event_date + datetime.timedelta(days=1))
    else:
        starts_at = event.starts_at  # aware, in the venue's zone (a ZoneInfo)
        entry.add("dtstart", starts_at)
        entry.add("dtend", starts_at + DEFAULT_DURATION)
    location = event_location(event)
    if location:
        entry.add("location", location)
    if url:
        entry.add("url", url)
    if description:
        entry.add("description", description)
    if event.status == Event.Status.CANCELLED:
        entry.add("status", "CANCELLED")
    calendar.add_component(entry)
    if event.event_time is not None:
        # The venue's VTIMEZONE, with its rules for the year around the event only.
        calendar.add_missing_timezones(
            first_date=event.event_date - datetime.timedelta(days=366),
            last_date=event.event_date + datetime.timedelta(days=366),
        )
    return calendar.to_ical()


def event_calendar_filename(event: Event) -> str:
    """A safe file name: "encore-<event id>.ics"."""
    return f"encore-event-{event.pk}.ics"
