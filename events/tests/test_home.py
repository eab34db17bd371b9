import datetime

import pytest
from django.utils import timezone

from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.settings.base import redis_caches

pytestmark = pytest.mark.django_db


def test_home_lists_upcoming_published_events_with_their_lowest_price(client):
    soon = EventFactory(name="Soon Festival", category=Event.Category.FESTIVAL)
    ListingFactory(ticket__event=soon, price="48.00")
    ListingFactory(ticket__event=soon, price="42.50")
    ListingFactory(ticket__event=soon, price="30.00", status=Listing.Status.SOLD)
    EventFactory(name="Secret Draft", status=Event.Status.DRAFT)
    EventFactory(
        name="Last Year's Show", event_date=timezone.localdate() - datetime.timedelta(days=1)
    )

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Soon Festival" in html
    assert "2 tickets from <strong>€42.50</strong>" in html
    assert "Secret Draft" not in html
    assert "Last Year&#x27;s Show" not in html


def test_home_orders_events_soonest_first(client):
    today = timezone.localdate()
    EventFactory(name="Later", event_date=today + datetime.timedelta(days=60))
    EventFactory(name="Sooner", event_date=today + datetime.timedelta(days=2))

    html = client.get("/").content.decode()

    assert html.index("Sooner") < html.index("Later")


def test_home_says_so_when_there_is_nothing_on(client):
    assert "No upcoming events yet" in client.get("/").content.decode()


@pytest.mark.parametrize("event_count", [2, 20])
def test_home_runs_the_same_few_queries_whatever_the_number_of_events(
    client, django_assert_max_num_queries, event_count
):
    for event in EventFactory.create_batch(event_count):
        ListingFactory(ticket__event=event)

    with django_assert_max_num_queries(1):
        response = client.get("/")

    assert response.content.decode().count('class="event-card"') == event_count


def test_home_has_a_labelled_search_box_that_sends_to_the_events_list(client):
    html = client.get("/").content.decode()

    assert '<form class="hero-search" method="get" action="/events/"' in html
    assert '<label for="home-q">' in html
    assert 'id="home-q" name="q"' in html


def test_home_links_each_event_to_its_page(client):
    event = EventFactory(name="Linked Show")

    html = client.get("/").content.decode()

    assert f'href="/events/{event.pk}/">Linked Show</a>' in html


# The cache of upcoming events


def test_a_second_home_request_reads_the_events_from_the_cache(client, django_assert_num_queries):
    EventFactory.create_batch(3)

    with django_assert_num_queries(1):
        first = client.get("/")
    with django_assert_num_queries(0):
        second = client.get("/")

    assert first.content == second.content


def test_the_rendered_grid_is_cached_too_and_reads_no_list(client, django_assert_num_queries):
    from django.core.cache import cache

    from events.cache import upcoming_version
    from events.views import HOME_EVENT_COUNT

    EventFactory.create_batch(3)
    first = client.get("/")
    # Without the list in the cache, only the rendered fragment can spare the query.
    cache.delete(f"events:upcoming:{upcoming_version()}:{HOME_EVENT_COUNT}")

    with django_assert_num_queries(0):
        second = client.get("/")

    assert first.content == second.content


def test_the_cached_list_is_served_until_an_event_changes(client):
    event = EventFactory(name="Before")
    client.get("/")

    # A write that bypasses the services does not invalidate: the cache is really used.
    Event.objects.filter(pk=event.pk).update(name="Sneaky")

    assert "Before" in client.get("/").content.decode()


def test_an_event_renamed_through_the_service_shows_on_the_home_page_at_once(
    client, django_capture_on_commit_callbacks
):
    from events.services import event_update

    event = EventFactory(name="Old Name")
    assert "Old Name" in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=event.organizer, event=event, name="New Name")

    html = client.get("/").content.decode()
    assert "New Name" in html
    assert "Old Name" not in html


def test_an_event_created_and_published_shows_on_the_home_page_at_once(
    client, django_capture_on_commit_callbacks
):
    from accounts.tests.factories import OrganizerFactory
    from events.services import event_create

    organizer = OrganizerFactory()
    assert "No upcoming events yet" in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        event_create(
            organizer=organizer,
            name="Fresh Gig",
            event_date=timezone.localdate() + datetime.timedelta(days=10),
            venue_name="Vicar Street",
            city="Dublin",
            country="IE",
            status=Event.Status.PUBLISHED,
        )

    assert "Fresh Gig" in client.get("/").content.decode()


def test_a_cancelled_event_leaves_the_home_page_at_once(client, django_capture_on_commit_callbacks):
    from events.services import event_update

    event = EventFactory(name="Doomed Gig")
    assert "Doomed Gig" in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    assert "Doomed Gig" not in client.get("/").content.decode()


def test_a_refused_event_change_keeps_the_cached_list(
    client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from events.services import event_update
    from marketplace.core.errors import ValidationFailed

    event = EventFactory(name="Steady")
    client.get("/")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationFailed),
    ):
        event_update(
            actor=event.organizer,
            event=event,
            event_date=timezone.localdate() - datetime.timedelta(days=1),
        )

    assert callbacks == []
    with django_assert_num_queries(0):
        client.get("/")


def test_the_home_page_still_works_with_the_cache_unreachable(client, settings):
    EventFactory(name="Resilient")
    # Nothing listens on port 1: every cache call fails, and django-redis ignores it.
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")

    response = client.get("/")

    assert response.status_code == 200
    assert "Resilient" in response.content.decode()
