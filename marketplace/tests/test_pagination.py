"""Deep lists are paged within PAGINATION_MAX_RESULTS, on the API and the site."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.selectors import event_search
from events.tests.factories import EventFactory
from listings.selectors import listing_search
from listings.tests.factories import ListingFactory
from marketplace.core.pagination import BoundedPaginator, bounded_count
from marketplace.testing import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(settings):
    settings.PAGINATION_MAX_RESULTS = 5
    return 5


def test_a_list_within_the_window_is_counted_exactly(window):
    EventFactory.create_batch(5)

    assert bounded_count(event_search()) == (5, True)


def test_a_longer_list_is_counted_up_to_the_window(window):
    EventFactory.create_batch(7)

    assert bounded_count(event_search()) == (5, False)


def test_the_count_stops_reading_past_the_window(window):
    ListingFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        bounded_count(listing_search())

    (sql,) = [query["sql"] for query in queries.captured_queries]
    # One COUNT over the ids of at most window + 1 rows, with no ORDER BY.
    assert "LIMIT 6" in sql
    assert "ORDER BY" not in sql


def test_api_says_the_total_is_not_exact_past_the_window(api, window):
    EventFactory.create_batch(7)

    body = api.get("/api/v1/events", {"limit": 2, "page": 3}).json()

    pagination = body["meta"]["pagination"]
    assert pagination == {
        "page": 3,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "totalExact": False,
        "nextCursor": pagination["nextCursor"],
    }
    # The last page within the window stops at its edge; its cursor goes on past it.
    assert len(body["data"]) == 1
    beyond = api.get("/api/v1/events", {"limit": 2, "cursor": pagination["nextCursor"]}).json()
    assert len(beyond["data"]) == 2


def test_api_refuses_a_page_beyond_the_window_and_says_how_far_it_goes(api, window):
    EventFactory.create_batch(7)

    response = api.get("/api/v1/events", {"limit": 2, "page": 4})

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "page", "reason": "BEYOND_RESULT_WINDOW", "maxPage": 3}
    assert "narrow the search" in error["message"]


def test_api_past_the_end_of_a_short_list_is_still_an_empty_page(api, window):
    EventFactory.create_batch(3)

    body = api.get("/api/v1/events", {"limit": 2, "page": 9}).json()

    assert body["data"] == []
    assert body["meta"]["pagination"]["totalExact"] is True


def test_filters_reach_what_the_window_leaves_out(api, window):
    events = EventFactory.create_batch(7, category="concert")
    wanted = EventFactory(category="sports")

    body = api.get("/api/v1/events", {"category": "sports"}).json()

    assert len(events) > window
    assert [row["id"] for row in body["data"]] == [wanted.pk]


def test_a_known_count_saves_the_count_query(window):
    paginator = BoundedPaginator(event_search(), 2, count=9)

    with CaptureQueriesContext(connection) as queries:
        assert (paginator.count, paginator.exact, paginator.num_pages) == (5, False, 3)
    assert queries.captured_queries == []


def test_events_page_says_there_are_more_and_how_to_reach_them(client, window):
    EventFactory.create_batch(30)

    html = client.get("/events/", {"page": 99}).content.decode()

    assert "More than 5 events" in html
    assert html.count('class="event-card"') == 5


def test_the_last_page_within_the_window_says_how_to_see_the_rest(client, window):
    event = EventFactory()
    ListingFactory.create_batch(7, ticket__event=event)

    html = client.get(f"/events/{event.pk}/", {"page": 2}).content.decode()

    # LISTINGS_PER_EVENT_PAGE is 50: one page holds the window.
    assert html.count('href="/listings/') == 5
    assert "Only the first 5 tickets are shown" in html


def test_event_page_shows_fifty_tickets_a_page_cheapest_first(client):
    event = EventFactory()
    ListingFactory.create_batch(53, ticket__event=event)

    first = client.get(f"/events/{event.pk}/").content.decode()
    second = client.get(f"/events/{event.pk}/", {"page": 2}).content.decode()

    assert first.count('href="/listings/') == 50
    assert second.count('href="/listings/') == 3
    assert "Page 1 of 2" in first
    assert "53 tickets on sale" in first
