"""The event page's JSON-LD (schema.org Event with an AggregateOffer) and the
tags a shared link's preview reads (Open Graph, Twitter card, canonical)."""

import datetime
import json
import re
from decimal import Decimal

import pytest

from events.models import Event
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from marketplace.testing import in_days

pytestmark = pytest.mark.django_db

SITE = "https://encore.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _json_ld(client, event) -> dict:
    html = client.get(f"/events/{event.pk}/").content.decode()
    (body,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    return json.loads(body)


def test_the_page_describes_the_event_as_schema_org_requires(client):
    event = EventFactory(
        name="Lankum <live>",
        event_date=in_days(30),
        event_time=datetime.time(20, 0),
        venue_name="Vicar Street",
        city="Dublin",
        country="IE",
    )
    ListingFactory(ticket__event=event, price=Decimal("45.00"))
    ListingFactory(ticket__event=event, price=Decimal("40.00"))

    data = _json_ld(client, event)

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Event"
    assert data["name"] == "Lankum <live>"
    assert datetime.datetime.fromisoformat(data["startDate"]) == event.starts_at
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    place = data["location"]
    assert place["@type"] == "Place" and place["name"] == "Vicar Street"
    assert place["address"]["@type"] == "PostalAddress"
    assert (place["address"]["addressLocality"], place["address"]["addressCountry"]) == (
        "Dublin",
        "IE",
    )
    offers = data["offers"]
    assert offers["@type"] == "AggregateOffer"
    assert (offers["lowPrice"], offers["offerCount"]) == ("40.00", 2)
    assert offers["priceCurrency"] == event.currency
    assert offers["availability"] == "https://schema.org/InStock"
    assert data["url"] == offers["url"] == f"{SITE}/events/{event.pk}/"


def test_a_sold_out_or_cancelled_event_says_so(client):
    sold_out = EventFactory(event_date=in_days(30))
    cancelled = EventFactory(event_date=in_days(30), status=Event.Status.CANCELLED)

    offers = _json_ld(client, sold_out)["offers"]
    assert (offers["offerCount"], offers["availability"]) == (0, "https://schema.org/SoldOut")
    assert "lowPrice" not in offers
    assert _json_ld(client, cancelled)["eventStatus"] == "https://schema.org/EventCancelled"


def test_a_name_cannot_close_the_script(client):
    event = EventFactory(name="</script><script>alert(1)</script>")

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert "</script><script>alert(1)" not in html
    assert _json_ld(client, event)["name"] == "</script><script>alert(1)</script>"


def test_a_shared_link_shows_a_title_a_summary_and_the_canonical_address(client, settings):
    settings.EVENT_IMAGE_HOSTS = ["img.example"]
    event = EventFactory(name="Fontaines D.C.", image_url="https://img.example/fdc.jpg")

    html = client.get(f"/events/{event.pk}/?utm_source=x").content.decode()

    assert f'<link rel="canonical" href="{SITE}/events/{event.pk}/">' in html
    assert '<meta property="og:title" content="Fontaines D.C.">' in html
    assert f'<meta property="og:url" content="{SITE}/events/{event.pk}/">' in html
    assert '<meta property="og:image" content="https://img.example/fdc.jpg">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert re.search(r'<meta property="og:description" content="[^"]*at [^"]+\.">', html)
