"""An old or shared link to a listing no longer on sale (issue 16, point 6).

Anyone but the seller and staff: sold, withdrawn (cancelled) and ended (expired)
listings answer 410 with a page that says so, the event, its other tickets and its
waiting list; a reserved (pending) one answers 200 with the same page; a listing
that never existed answers 404. The API's GET /listings/<id> follows the same rule
(listings.selectors.listing_lookup): 410 LISTING_EXPIRED, 409 TICKET_NOT_AVAILABLE
or 404 NOT_FOUND.
"""

import datetime
import re
from decimal import Decimal

import pytest
import yaml
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.selectors import listing_lookup
from listings.tests.factories import ListingFactory
from marketplace.core.errors import NotFound
from marketplace.testing import error_of, ok_data
from payments.models import Transaction
from payments.tests.helpers import transaction_in

pytestmark = pytest.mark.django_db

GONE_FOR_GOOD = [
    (Listing.Status.SOLD, "This ticket has been sold", "SOLD"),
    (Listing.Status.CANCELLED, "This listing was withdrawn", "WITHDRAWN"),
    (Listing.Status.EXPIRED, "This listing has ended", "ENDED"),
]
RESERVED_HEADLINE = "This ticket is reserved by another fan right now"


def _page(listing_or_id):
    return f"/listings/{getattr(listing_or_id, 'pk', listing_or_id)}/"


def _api(listing_or_id):
    return f"/api/v1/listings/{getattr(listing_or_id, 'pk', listing_or_id)}"


def _event(**fields):
    return EventFactory(
        **{"name": "Hozier Live", "venue_name": "3Arena", "city": "Dublin", **fields}
    )


def _listing(event, status=Listing.Status.ACTIVE, price="55.00", **fields):
    return ListingFactory(ticket__event=event, status=status, price=Decimal(price), **fields)


def _past_event(**fields):
    start = timezone.localtime() - datetime.timedelta(days=2)
    return _event(event_date=start.date(), event_time=datetime.time(20, 0), **fields)


def _html(response) -> str:
    return response.content.decode()


def _listing_links(html: str) -> list[int]:
    """The ids of the listing pages the page links to, in order."""
    return [int(pk) for pk in re.findall(r'href="/listings/(\d+)/"', html)]


def _waitlist_link(event) -> str:
    return f'href="{reverse("events:detail", args=[event.pk])}#waitlist"'


# --- the page: sold, withdrawn, ended -----------------------------------------------


@pytest.mark.parametrize(("status", "headline", "reason"), GONE_FOR_GOOD)
@pytest.mark.parametrize("logged_in", [False, True])
def test_a_listing_gone_for_good_answers_410_with_the_gone_page(
    client, status, headline, reason, logged_in
):
    event = _event()
    listing = _listing(event, status)
    if logged_in:
        client.force_login(UserFactory())

    response = client.get(_page(listing))

    assert response.status_code == 410
    assert response.templates[0].name == "listings/gone.html"
    assert "base.html" in [template.name for template in response.templates]
    html = _html(response)
    assert f">{headline}</h1>" in html
    assert "Buy this ticket" not in html and "Log in to buy" not in html
    assert "Hozier Live" in html and "3Arena, Dublin" in html
    assert f'href="{reverse("events:detail", args=[event.pk])}"' in html
    assert "Join the waiting list" in html and _waitlist_link(event) in html


def test_the_gone_page_shows_the_events_date_and_time_in_its_own_zone(client):
    event = _event(country="DE", time_zone="Europe/Berlin", event_time=datetime.time(19, 30))
    listing = _listing(event, Listing.Status.SOLD)

    html = _html(client.get(_page(listing)))

    assert event.event_date.strftime("%Y-%m-%d") in html
    assert "19:30 CE" in html  # CET or CEST, as the venue's clock shows it
    assert "(Europe/Berlin)" in html


def test_the_gone_page_offers_up_to_6_other_tickets_cheapest_first(client):
    event = _event()
    gone = _listing(event, Listing.Status.SOLD, price="50.00")
    others = [_listing(event, price=f"{price}.00") for price in (58, 52, 60, 51, 59, 54, 57, 55)]
    _listing(event, Listing.Status.CANCELLED, price="45.00")  # not on sale: not offered
    _listing(_event(), price="40.00")  # another event's
    cheapest = sorted(others, key=lambda listing: listing.price)[:6]

    html = _html(client.get(_page(gone)))

    assert "Other tickets for this event" in html
    assert _listing_links(html) == [listing.pk for listing in cheapest]
    for listing in cheapest:
        assert f"€{listing.price}" in html
    assert "€60.00" not in html


def test_the_gone_page_without_other_tickets_still_offers_the_waiting_list(client):
    event = _event()
    listing = _listing(event, Listing.Status.SOLD)

    html = _html(client.get(_page(listing)))

    assert "No other tickets on sale for this event right now" in html
    assert _waitlist_link(event) in html


def test_an_active_listing_past_its_expiry_has_ended_for_buyers(client):
    event = _event()
    listing = _listing(event)
    Listing.objects.filter(pk=listing.pk).update(
        listed_at=timezone.now() - datetime.timedelta(hours=2),
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )

    response = client.get(_page(listing))

    assert response.status_code == 410
    assert ">This listing has ended</h1>" in _html(response)


# --- the page: the event itself is over or cancelled ---------------------------------


@pytest.mark.parametrize(
    ("event_fields", "says"),
    [
        ({"status": Event.Status.PUBLISHED}, "This event is over"),
        ({"status": Event.Status.COMPLETED}, "This event is over"),
    ],
)
def test_a_sold_listing_of_an_event_that_is_over_offers_no_tickets_or_waiting_list(
    client, event_fields, says
):
    event = _past_event(**event_fields)
    listing = _listing(event, Listing.Status.SOLD)
    _listing(event, Listing.Status.EXPIRED, price="50.00")

    response = client.get(_page(listing))

    assert response.status_code == 410
    html = _html(response)
    assert ">This ticket has been sold</h1>" in html
    assert says in html
    assert "#waitlist" not in html and "Join the waiting list" not in html
    assert "Other tickets for this event" not in html
    assert _listing_links(html) == []


def test_an_active_listing_of_a_started_event_has_ended_and_says_the_event_is_over(client):
    event = _past_event()
    listing = _listing(event)  # the job has not expired it yet

    response = client.get(_page(listing))

    assert response.status_code == 410
    html = _html(response)
    assert ">This listing has ended</h1>" in html
    assert "This event is over" in html
    assert "#waitlist" not in html


def test_a_withdrawn_listing_of_a_cancelled_event_says_the_event_is_cancelled(client):
    event = _event(status=Event.Status.CANCELLED)
    listing = _listing(event, Listing.Status.CANCELLED)
    _listing(event, price="50.00")  # not yet withdrawn by the job: not offered

    response = client.get(_page(listing))

    assert response.status_code == 410
    html = _html(response)
    assert ">This listing was withdrawn</h1>" in html
    assert "This event has been cancelled" in html
    assert "#waitlist" not in html
    assert _listing_links(html) == []


# --- the page: reserved --------------------------------------------------------------


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_reserved_listing_answers_200_with_the_waiting_list_and_no_buy_button(client, logged_in):
    event = _event()
    listing = _listing(event, Listing.Status.PENDING)
    other = _listing(event, price="52.00")
    if logged_in:
        client.force_login(UserFactory())

    response = client.get(_page(listing))

    assert response.status_code == 200
    assert response.templates[0].name == "listings/gone.html"
    html = _html(response)
    assert f">{RESERVED_HEADLINE}</h1>" in html
    assert "fans on the waiting list get it first" in html
    assert "Buy this ticket" not in html and "Log in to buy" not in html
    assert reverse("payments:buy", args=[listing.pk]) not in html
    assert _listing_links(html) == [other.pk]
    assert _waitlist_link(event) in html


def test_the_buyer_holding_the_reservation_is_sent_back_to_paying(client):
    listing = _listing(_event(), Listing.Status.PENDING)
    txn = transaction_in(Transaction.Status.PENDING_PAYMENT, listing=listing)
    client.force_login(txn.buyer)

    response = client.get(_page(listing))

    assert response.status_code == 200
    html = _html(response)
    assert ">You have reserved this ticket</h1>" in html
    assert RESERVED_HEADLINE not in html
    assert f'href="{reverse("payments:checkout", args=[txn.pk])}"' in html


# --- the page: not found, and the seller's and staff's view ----------------------------


def test_a_listing_that_never_existed_is_the_sites_404_page(client):
    listing = _listing(_event())

    response = client.get(_page(listing.pk + 1000))

    assert response.status_code == 404
    assert "find that page" in _html(response)


@pytest.mark.parametrize("path", ["/listings/abc/", "/listings/0/", "/listings/-3/"])
def test_an_id_that_is_not_a_number_is_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "status",
    [Listing.Status.SOLD, Listing.Status.CANCELLED, Listing.Status.EXPIRED, Listing.Status.PENDING],
)
@pytest.mark.parametrize("viewer", ["seller", "staff"])
def test_the_seller_and_staff_still_see_the_listing_page(client, status, viewer):
    listing = _listing(_event(), status)
    client.force_login(listing.seller if viewer == "seller" else StaffFactory())

    response = client.get(_page(listing))

    assert response.status_code == 200
    assert response.templates[0].name == "listings/detail.html"
    html = _html(response)
    assert f"This listing is <strong>{listing.get_status_display().lower()}</strong>" in html
    assert "Buy this ticket" not in html


# --- the page: queries -----------------------------------------------------------------


@pytest.mark.parametrize("others", [1, 8])
@pytest.mark.parametrize("logged_in", [False, True])
def test_the_gone_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, logged_in, others
):
    event = _event()
    listing = _listing(event, Listing.Status.SOLD)
    for n in range(others):
        _listing(event, price=f"{51 + n}.00")
    if logged_in:
        client.force_login(UserFactory())

    # The listing with its ticket, event and seller, and the other tickets; plus the
    # session, the user and the unread notifications for a logged-in visitor.
    with django_assert_max_num_queries(5 if logged_in else 2):
        response = client.get(_page(listing))

    assert response.status_code == 410
    assert len(_listing_links(_html(response))) == min(others, 6)


def test_the_reserved_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    event = _event()
    listing = _listing(event, Listing.Status.PENDING)
    for n in range(8):
        _listing(event, price=f"{51 + n}.00")
    client.force_login(UserFactory())

    # As above, plus whether the visitor holds the reservation.
    with django_assert_max_num_queries(6):
        response = client.get(_page(listing))

    assert response.status_code == 200


# --- the selector ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "gone"),
    [
        (Listing.Status.ACTIVE, None),
        (Listing.Status.PENDING, "reserved"),
        (Listing.Status.SOLD, "sold"),
        (Listing.Status.CANCELLED, "withdrawn"),
        (Listing.Status.EXPIRED, "ended"),
    ],
)
def test_listing_lookup_says_why_a_listing_is_gone_except_to_its_seller_and_staff(status, gone):
    listing = _listing(_event(), status)

    for user in (AnonymousUser(), UserFactory()):
        found = listing_lookup(user=user, listing_id=listing.pk)
        assert (found.listing, found.gone) == (listing, gone)
    for user in (listing.seller, StaffFactory()):
        assert listing_lookup(user=user, listing_id=str(listing.pk)).gone is None


@pytest.mark.parametrize("listing_id", ["abc", "", None, 0, -1, "1.5", 10**19])
def test_listing_lookup_of_an_id_that_is_not_one_is_not_found(listing_id):
    with pytest.raises(NotFound):
        listing_lookup(user=AnonymousUser(), listing_id=listing_id)


def test_listing_lookup_of_a_listing_that_never_existed_is_not_found():
    listing = _listing(_event())

    with pytest.raises(NotFound):
        listing_lookup(user=StaffFactory(), listing_id=listing.pk + 1000)


# --- the API ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "headline", "reason"), GONE_FOR_GOOD)
def test_api_a_listing_gone_for_good_is_410_listing_expired(api, api_as, status, headline, reason):
    listing = _listing(_event(), status)

    for client in (api, api_as(UserFactory())):
        error = error_of(client.get(_api(listing)), 410, "LISTING_EXPIRED")
        assert error["details"] == {"reason": reason, "event_id": listing.ticket.event_id}
        assert headline in error["message"]


def test_api_a_listing_past_its_expiry_is_410_ended(api):
    listing = _listing(_past_event())

    error = error_of(api.get(_api(listing)), 410, "LISTING_EXPIRED")

    assert error["details"]["reason"] == "ENDED"


def test_api_a_reserved_listing_is_409_ticket_not_available(api, api_as):
    listing = _listing(_event(), Listing.Status.PENDING)

    for client in (api, api_as(UserFactory())):
        error = error_of(client.get(_api(listing)), 409, "TICKET_NOT_AVAILABLE")
        assert error["details"] == {"reason": "RESERVED", "event_id": listing.ticket.event_id}
        assert "waiting list" in error["message"]


@pytest.mark.parametrize("path", ["999999", "abc", "0"])
def test_api_a_listing_that_never_existed_is_404(api, path):
    _listing(_event())

    error_of(api.get(_api(path)), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "status",
    [Listing.Status.SOLD, Listing.Status.CANCELLED, Listing.Status.EXPIRED, Listing.Status.PENDING],
)
def test_api_the_seller_and_staff_still_get_the_listing(api_as, status):
    listing = _listing(_event(), status)

    for user in (listing.seller, StaffFactory()):
        data = ok_data(api_as(user).get(_api(listing)))
        assert (data["id"], data["status"]) == (listing.pk, status)


def test_api_an_active_listing_is_still_public(api):
    listing = _listing(_event())

    assert ok_data(api.get(_api(listing)))["id"] == listing.pk


def test_the_schema_documents_404_409_and_410_for_a_listing(api):
    schema = yaml.safe_load(api.get("/api/v1/schema/").content)

    operation = schema["paths"]["/api/v1/listings/{id}"]["get"]

    assert {"200", "404", "409", "410"} <= set(operation["responses"])
    assert "LISTING_EXPIRED" in operation["description"]
