"""sitemap.xml and robots.txt: search engines find every published event's page,
never a draft, and stay out of fans' own pages."""

import re

import pytest

from events.models import Event
from events.tests.factories import EventFactory
from marketplace.testing import in_days

pytestmark = pytest.mark.django_db


def _locations(client) -> list[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return re.findall(r"<loc>([^<]+)</loc>", response.content.decode())


def test_the_sitemap_lists_every_published_event_and_no_draft(client):
    published = [EventFactory(event_date=in_days(days)) for days in (3, 30, 300)]
    draft = EventFactory(status=Event.Status.DRAFT)
    cancelled = EventFactory(status=Event.Status.CANCELLED)

    locations = _locations(client)

    for event in published:
        assert f"http://testserver/events/{event.pk}/" in locations
        # In each language, each naming the others as its alternates.
        for language in ("nl", "de", "fr", "es"):
            assert f"http://testserver/{language}/events/{event.pk}/" in locations
    assert not any(
        f"/events/{other.pk}/" in loc for other in (draft, cancelled) for loc in locations
    )
    assert "http://testserver/events/" in locations
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f'hreflang="de" href="http://testserver/de/events/{published[0].pk}/"' in sitemap
    assert 'hreflang="x-default"' in sitemap


def test_the_sitemap_costs_two_queries_however_many_events(client, django_assert_max_num_queries):
    EventFactory.create_batch(3)
    _locations(client)
    EventFactory.create_batch(12)

    # Its page count and the page of events (one query: the events, read once
    # for all five languages).
    with django_assert_max_num_queries(2):
        assert len([loc for loc in _locations(client) if "/events/" in loc]) >= 15


def test_robots_opens_the_catalogue_closes_fans_pages_and_names_the_sitemap(client, settings):
    settings.SITE_URL = "https://encore.example"

    response = client.get("/robots.txt")

    text = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    for private in ("/my/", "/checkout/", "/accounts/", "/api/", "/profile/"):
        assert f"Disallow: {private}" in text
    assert "Disallow: /events/" not in text
    assert "Disallow: /\n" not in text
    assert settings.ADMIN_URL not in text
    assert "Sitemap: https://encore.example/sitemap.xml" in text
