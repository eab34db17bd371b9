"""What an event's page tells search engines and link previews about it.

schema.org `Event` as JSON-LD (https://schema.org/Event): its name, start in the
venue's zone, the venue as a `Place` with its postal address, its status, and
an `AggregateOffer` of the tickets on sale (lowest price, how many, currency,
in stock or sold out). And the Open Graph / Twitter card fields a shared link
shows. Built from the event as the page reads it (with listing_count and
lowest_price), so it changes with the page (events/event_page.py).
"""

import json

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from marketplace.core.money import money_str

from .images import event_picture_url
from .models import Event

EVENT_STATUS = {
    Event.Status.CANCELLED: "https://schema.org/EventCancelled",
}
# Characters that must not appear raw inside a <script> element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def event_url(event: Event, *, site_url: str) -> str:
    return f"{site_url}{reverse('events:detail', args=[event.pk])}"


def event_summary(event: Event) -> str:
    """One line for previews, in the reader's language: when and where."""
    return _("%(when)s at %(venue)s, %(city)s.") % {
        "when": date_format(event.event_date, "DATE_FORMAT"),
        "venue": event.venue_name,
        "city": event.city,
    }


def event_json_ld(event: Event, *, site_url: str) -> dict:
    url = event_url(event, site_url=site_url)
    address = {
        "@type": "PostalAddress",
        "streetAddress": event.location,
        "addressLocality": event.city,
        "postalCode": event.postal_code,
        "addressCountry": event.country,
    }
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.name,
        "url": url,
        "startDate": event.starts_at.isoformat() if event.event_time else str(event.event_date),
        "eventStatus": EVENT_STATUS.get(event.status, "https://schema.org/EventScheduled"),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {
            "@type": "Place",
            "name": event.venue_name,
            "address": {key: value for key, value in address.items() if value},
        },
        "description": event.description or event_summary(event),
        "offers": {
            "@type": "AggregateOffer",
            "url": url,
            "priceCurrency": event.currency,
            "offerCount": event.listing_count,
            "availability": "https://schema.org/InStock"
            if event.listing_count
            else "https://schema.org/SoldOut",
        },
    }
    if event.listing_count and event.lowest_price is not None:
        data["offers"]["lowPrice"] = money_str(event.lowest_price)
    if image := event_picture_url(event):
        data["image"] = [image]
    return data


def json_ld_script(data: dict) -> SafeString:
    """`data` as the body of a <script type="application/ld+json"> element."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES))  # noqa: S308


def event_share(event: Event, *, site_url: str) -> dict:
    """What the event page's head carries: its canonical address, a one-line
    summary for previews, its picture's absolute address (og:image; None without
    one, events.images.event_picture_url), and the JSON-LD."""
    return {
        "url": event_url(event, site_url=site_url),
        "image": event_picture_url(event),
        "summary": event_summary(event),
        "json_ld": json_ld_script(event_json_ld(event, site_url=site_url)),
    }
