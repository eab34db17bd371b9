"""The catalogue pages: events list, event page, how Encore protects you (the listing
page is listings'; listings/tests/test_listing_page.py)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import Resolver404, resolve

from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.testing import in_days
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _cards(html):
    return html.count('class="event-card"')


# --- Events list ----------------------------------------------------------------


def test_events_list_shows_upcoming_published_events_only(client):
    EventFactory(name="Public Gig")
    EventFactory(name="Hidden Draft", status=Event.Status.DRAFT)
    EventFactory(name="Gone Gig", event_date=in_days(-3))

    response = client.get("/events/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Public Gig" in html
    assert "Hidden Draft" not in html
    assert "Gone Gig" not in html


def test_events_list_filters_have_labels(client):
    html = client.get("/events/").content.decode()

    for name in ("q", "category", "city", "date_from", "date_to"):
        assert f'<label for="id_{name}">' in html
        assert f'name="{name}"' in html
    assert 'method="get"' in html


def test_events_list_filters_by_text_category_city_and_dates(client):
    EventFactory(name="Rock Night", category=Event.Category.CONCERT, city="Dublin")
    EventFactory(name="Cup Final", category=Event.Category.SPORTS, city="Dublin")
    EventFactory(name="Rock Opera", category=Event.Category.THEATER, city="Cork")
    EventFactory(name="Rock Later", category=Event.Category.CONCERT, event_date=in_days(90))

    def names(**params):
        html = client.get("/events/", params).content.decode()
        return {n for n in ("Rock Night", "Cup Final", "Rock Opera", "Rock Later") if n in html}

    assert names(q="rock") == {"Rock Night", "Rock Opera", "Rock Later"}
    assert names(category="sports") == {"Cup Final"}
    assert names(city="cork") == {"Rock Opera"}
    assert names(q="rock", category="concert", date_to=in_days(60).isoformat()) == {"Rock Night"}
    assert names(date_from=in_days(60).isoformat()) == {"Rock Later"}


def test_events_list_keeps_the_filters_in_the_form(client):
    html = client.get("/events/", {"q": "jazz", "city": "Cork"}).content.decode()

    assert 'value="jazz"' in html
    assert 'value="Cork"' in html


def test_events_list_says_so_when_nothing_matches(client):
    EventFactory(name="Something")

    html = client.get("/events/", {"q": "nothing-like-this"}).content.decode()

    assert "No events match these filters" in html
    assert _cards(html) == 0


def test_events_list_has_an_empty_state_without_events(client):
    html = client.get("/events/").content.decode()

    assert 'class="empty"' in html
    assert "No events match" in html


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "x"}, "date_from", "Enter a valid date."),
        ({"date_to": "2026-13-45"}, "date_to", "Enter a valid date."),
        ({"category": "opera"}, "category", "Select a valid choice."),
        (
            {"date_from": "2030-05-02", "date_to": "2030-05-01"},
            "date_to",
            "The end date must not be before the start date.",
        ),
    ],
)
def test_bad_filter_input_is_a_form_error_next_to_its_field(client, params, field, message):
    EventFactory(name="Listed Anyway")

    response = client.get("/events/", params)

    assert response.status_code == 200
    html = response.content.decode()
    error_list = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html)
    assert error_list and message in error_list.group(1)
    assert f'aria-describedby="id_{field}_error"' in html
    assert "Listed Anyway" not in html


def test_events_list_paginates_24_a_page_with_the_current_page_marked(client):
    for day in range(30):
        EventFactory(name=f"Show {day:02d}", event_date=in_days(day + 1))

    first = client.get("/events/").content.decode()
    second = client.get("/events/", {"page": 2}).content.decode()

    assert _cards(first) == 24
    assert _cards(second) == 6
    assert "Show 00" in first and "Show 24" not in first
    assert "Show 24" in second
    assert '<a href="?page=1" aria-current="page">1</a>' in first
    assert '<a href="?page=2" aria-current="page">2</a>' in second
    assert 'href="?page=2" rel="next"' in first
    assert 'href="?page=1" rel="prev"' in second


def test_page_links_keep_the_filters(client):
    for _ in range(25):
        EventFactory(city="Galway")

    html = client.get("/events/", {"city": "Galway"}).content.decode()

    assert 'href="?city=Galway&amp;page=2"' in html


@pytest.mark.parametrize("page", ["abc", "999", "-1"])
def test_a_page_number_out_of_range_shows_a_page_not_an_error(client, page):
    EventFactory(name="Only One")

    response = client.get("/events/", {"page": page})

    assert response.status_code == 200
    assert "Only One" in response.content.decode()


@pytest.mark.parametrize("event_count", [2, 20])
def test_events_list_queries_do_not_grow_with_the_events(
    client, django_assert_max_num_queries, event_count
):
    for event in EventFactory.create_batch(event_count, city="Dublin"):
        ListingFactory(ticket__event=event)

    # The count for the paginator and the page of events.
    with django_assert_max_num_queries(2):
        response = client.get("/events/", {"city": "Dublin", "q": "Encore"})

    assert _cards(response.content.decode()) == event_count


# --- Event page -------------------------------------------------------------------


def test_event_page_shows_the_event(client, settings):
    settings.EVENT_IMAGE_HOSTS = ["images.example.com"]
    event = EventFactory(
        name="Big Night",
        description="Doors at seven.",
        event_date=datetime.date(2099, 7, 4),
        event_time=datetime.time(19, 30),
        venue_name="Vicar Street",
        location="58 Thomas Street",
        city="Dublin",
        image_url="https://images.example.com/big-night.jpg",
    )

    response = client.get(f"/events/{event.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Big Night",
        "Doors at seven.",
        "Saturday 4 July 2099",
        "19:30",
        "Vicar Street",
        "58 Thomas Street",
        "Dublin",
    ):
        assert text in html
    assert '<img src="https://images.example.com/big-night.jpg"' in html
    assert 'alt="Big Night"' in html


def test_event_page_without_an_image_shows_its_category_picture(client):
    # (events/tests/test_pictures.py covers the pictures in full.)
    event = EventFactory(image_url="", category=Event.Category.THEATER)

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert '<img src="/static/img/categories/theater.svg"' in html


def test_event_page_lists_active_listings_cheapest_first_with_their_details(client):
    event = EventFactory(category=Event.Category.CONCERT)
    seller = UserFactory(name="Aoife Byrne", email_verified=True, phone_verified=True)
    dear = ListingFactory(
        ticket__event=event,
        ticket__owner=seller,
        ticket__face_value=Decimal("50.00"),
        price=Decimal("60.00"),
        ticket__section="B",
        ticket__row="7",
        ticket__seat="21",
    )
    cheap = ListingFactory(
        ticket__event=event,
        ticket__face_value=Decimal("50.00"),
        price=Decimal("45.00"),
        ticket__ticket_type=Ticket.Type.STANDING,
        ticket__section="",
        ticket__row="",
        ticket__seat="",
        ticket__owner__email_verified=False,
    )
    ListingFactory(ticket__event=event, price=Decimal("40.00"), status=Listing.Status.SOLD)

    html = client.get(f"/events/{event.pk}/").content.decode()

    rows = re.findall(r"<tr>\s*<td data-label=\"Seat\">.*?</tr>", html, flags=re.S)
    assert len(rows) == 2
    cheap_row, dear_row = rows
    assert f'href="/listings/{cheap.pk}/"' in cheap_row
    assert "€45.00" in cheap_row and '−10% <span class="muted">below face</span>' in cheap_row
    assert "Standing" in cheap_row and "Unreserved" in cheap_row
    assert "Not verified yet" in cheap_row
    assert f'href="/listings/{dear.pk}/"' in dear_row
    assert "€60.00" in dear_row and "€50.00" in dear_row and "+20%" in dear_row
    assert "Section B, Row 7, Seat 21" in dear_row and "Seated" in dear_row
    assert "Aoife Byrne" in dear_row
    assert "Email verified" in dear_row and "Phone verified" in dear_row
    assert "40.00" not in html


def test_event_page_says_the_price_is_all_in(client):
    event = EventFactory()

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert "All-in price:</strong> the price you see is the price you pay (fee included)" in html


def test_event_page_without_listings_says_so(client):
    event = EventFactory()

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert "No tickets on sale for this event" in html


def test_a_draft_event_is_not_found_for_visitors_and_other_users(client):
    draft = EventFactory(status=Event.Status.DRAFT)

    assert client.get(f"/events/{draft.pk}/").status_code == 404
    client.force_login(UserFactory())
    assert client.get(f"/events/{draft.pk}/").status_code == 404


def test_a_draft_event_is_seen_by_its_organizer_and_staff(client):
    draft = EventFactory(name="Work In Progress", status=Event.Status.DRAFT)

    client.force_login(draft.organizer)
    response = client.get(f"/events/{draft.pk}/")
    assert response.status_code == 200
    assert "only you and Encore staff can see it" in response.content.decode()

    client.force_login(StaffFactory())
    assert client.get(f"/events/{draft.pk}/").status_code == 200


def test_an_unknown_event_is_not_found(client):
    assert client.get("/events/987654/").status_code == 404


@pytest.mark.parametrize("listing_count", [2, 20])
def test_event_page_queries_do_not_grow_with_the_listings(
    client, django_assert_max_num_queries, listing_count
):
    event = EventFactory()
    ListingFactory.create_batch(listing_count, ticket__event=event)

    # The event (with its listing summary) and its listings with tickets and sellers,
    # and how many fans wait (the waiting list section).
    with django_assert_max_num_queries(3):
        response = client.get(f"/events/{event.pk}/")

    assert response.content.decode().count('href="/listings/') == listing_count


@pytest.mark.parametrize("listing_count", [2, 20])
def test_event_page_queries_for_a_logged_in_user_do_not_grow_either(
    client, django_assert_max_num_queries, listing_count
):
    event = EventFactory()
    ListingFactory.create_batch(listing_count, ticket__event=event)
    client.force_login(UserFactory())

    # Plus the session, the user and the unread notifications of the header, and
    # the viewer's own waiting list entry (none here: the join form).
    with django_assert_max_num_queries(7):
        response = client.get(f"/events/{event.pk}/")

    assert response.content.decode().count('href="/listings/') == listing_count


# --- How Encore protects you ----------------------------------------------------------


def test_how_it_works_publishes_the_rules_from_the_settings(client, settings):
    settings.PRICE_MARKUP_CAPS = {
        "concert": Decimal("0.12"),
        "sports": Decimal("0.15"),
        "theater": Decimal("0.25"),
        "festival": Decimal("0.30"),
        "other": Decimal("0.20"),
    }
    settings.PRICE_FLOOR_RATE = Decimal("0.70")
    settings.PLATFORM_FEE_RATE = Decimal("0.075")
    settings.RESERVATION_MINUTES = 12
    settings.AUTO_CONFIRM_HOURS = 36
    settings.DISPUTE_WINDOW_HOURS = 72
    settings.MAX_TICKETS_PER_EVENT = 4

    response = client.get("/how-it-works/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"Concert</th>\s*<td[^>]*>\+12%</td>\s*<td[^>]*>€35.00 to €56.00</td>", html)
    assert re.search(r"Festival</th>\s*<td[^>]*>\+30%</td>", html)
    assert "at least 70% of face value" in html
    assert "<strong>7.5%</strong>" in html
    assert "<strong>12 minutes</strong>" in html
    assert "<strong>36 hours after the event</strong>" in html
    assert "<strong>72 hours after the event</strong>" in html
    assert "<strong>4 tickets per event</strong>" in html


def test_how_it_works_lists_country_overrides(client, settings):
    settings.PRICE_MARKUP_CAPS_BY_COUNTRY = {"IE": {"*": "0"}, "GB": {"sports": "0.10"}}

    html = client.get("/how-it-works/").content.decode()

    # By name (django-countries, in the page's language), not by code.
    assert "<strong>United Kingdom</strong>: Sports +10%" in html
    assert "<strong>Ireland</strong>: Every other category +0%" in html


def test_how_it_works_runs_no_query_for_a_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/how-it-works/").status_code == 200


def test_events_list_offers_to_clear_filters_only_when_filtering(client):
    for _ in range(25):
        EventFactory()

    assert "Clear filters" not in client.get("/events/", {"page": 2}).content.decode()
    assert "Clear filters" in client.get("/events/", {"city": "Dublin"}).content.decode()


# --- Ids in the path -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/events/1234567890123456789/", "/organizer/events/1234567890123456789/edit/"]
)
def test_an_id_of_19_digits_finds_no_route_and_answers_404(client, path):
    # 19 digits is more than any id has (marketplace.core.ids): the <id:> converter
    # refuses it, so it never reaches the database as an overflowing bigint.
    client.force_login(StaffFactory())

    with pytest.raises(Resolver404):
        resolve(path)
    assert client.get(path).status_code == 404


def test_an_id_of_18_digits_still_finds_the_route(client):
    assert resolve("/events/999999999999999999/").kwargs == {"event_id": 999999999999999999}
    assert client.get("/events/999999999999999999/").status_code == 404
