import datetime

import pytest
from django.utils import timezone

from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory

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
    assert "2 tickets from <strong>42.50 EUR</strong>" in html
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
