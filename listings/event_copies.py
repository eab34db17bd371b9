"""The event's search fields copied on each of its listings.

The ticket search filters and sorts listings by their event's status, category,
country, city, date and start. Read through the event, each search would join
half a million listings to their tickets and events before it could sort them;
copied on the listing, one index of the listings answers it (bench/results/).
The copies are written with the listing (listings.services.listing_create) and
follow the event when it changes (events.services.event_update calls
listings_follow_event in the same transaction), so a search never shows a
listing under an event's old city, date or status.
"""

from .models import Listing

# The event's fields whose change its listings follow.
EVENT_FIELDS_COPIED = frozenset(
    {"status", "category", "country", "city", "event_date", "event_time", "time_zone"}
)


def event_copies(event) -> dict:
    """The listing fields that copy `event`, for a new listing (Listing(**...)
    or Listing.objects.create(..., **event_copies(event)))."""
    return {
        "event": event,
        "event_status": event.status,
        "event_category": event.category,
        "event_country": event.country,
        "event_city": event.city,
        "event_date": event.event_date,
        "event_starts_at": event.starts_at,
    }


def listings_follow_event(*, event) -> int:
    """Copy `event`'s current fields onto every listing of its tickets, whatever
    the listing's status; returns how many listings were written. Runs inside the
    caller's transaction (the event's row is locked by then)."""
    copies = event_copies(event)
    del copies["event"]
    return Listing.objects.filter(event=event).update(**copies)
