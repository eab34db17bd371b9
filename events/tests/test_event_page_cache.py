"""The event page served from the cache: what every fan sees the same is built
once per change, and a sale, a new listing, a price change or a withdrawal shows
on the very next request (events/event_page.py, marketplace/core/versions.py)."""

import re
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from events.models import Event
from events.services import event_update
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import listing_cancel, listing_create, listing_update_price
from listings.tests.factories import ListingFactory
from listings.waitlist.entries import waitlist_join
from marketplace.testing import in_days
from payments.services import transaction_purchase
from payments.tests.helpers import CARD_OK
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _page(client, event, **params) -> str:
    response = client.get(f"/events/{event.pk}/", params)
    assert response.status_code == 200
    return response.content.decode()


def _listing_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/listings/(\d+)/"', html)]


def _listed(event, *, price="55.00") -> Listing:
    ticket = TicketFactory(
        event=event, owner=UserFactory(), status=Ticket.Status.AVAILABLE, face_value=Decimal("50")
    )
    return listing_create(seller=ticket.owner, ticket=ticket, price=price)


@pytest.fixture
def event():
    return EventFactory(event_date=in_days(30))


def test_the_page_is_served_from_the_cache_until_a_listing_changes(client, event):
    listing = _listed(event)
    _page(client, event)
    # Behind the services' back (no version bumped), the cached page stays as built:
    # proof that the second request did not read the listings again.
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("51.00"))

    assert "55.00" in _page(client, event)
    assert "51.00" not in _page(client, event)


def test_a_new_listing_shows_on_the_next_request(client, event):
    first = _listed(event)
    assert _listing_ids(_page(client, event)) == [first.pk]

    second = _listed(event, price="52.00")

    html = _page(client, event)
    assert _listing_ids(html) == [second.pk, first.pk]
    assert "2 tickets on sale" in html


def test_a_price_change_shows_on_the_next_request(client, event):
    listing = _listed(event)
    assert "55.00" in _page(client, event)

    listing_update_price(seller=listing.seller, listing=listing, price="53.00")

    html = _page(client, event)
    assert "53.00" in html
    assert "55.00" not in html


def test_a_withdrawal_shows_on_the_next_request(client, event):
    kept, withdrawn = _listed(event), _listed(event, price="52.00")
    assert set(_listing_ids(_page(client, event))) == {kept.pk, withdrawn.pk}

    listing_cancel(actor=withdrawn.seller, listing=withdrawn)

    assert _listing_ids(_page(client, event)) == [kept.pk]


def test_a_sale_shows_on_the_next_request(client, event):
    sold, kept = _listed(event, price="52.00"), _listed(event)
    assert "2 tickets on sale" in _page(client, event)

    transaction_purchase(buyer=UserFactory(), listing_id=sold.pk, payment_method_id=CARD_OK)

    html = _page(client, event)
    assert _listing_ids(html) == [kept.pk]
    assert "1 ticket on sale" in html


def test_an_edited_event_shows_on_the_next_request(client, event):
    _page(client, event)

    event_update(actor=event.organizer, event=event, name="The Moved Show")

    assert "The Moved Show" in _page(client, event)


def test_the_count_of_fans_waiting_follows_joins(client, event):
    assert "No fans waiting yet" in _page(client, event)

    waitlist_join(fan=UserFactory(), event=event)

    assert "<strong>1</strong> fan waiting" in _page(client, event)


def test_each_page_of_tickets_is_cached_apart_and_links_carry_only_the_page(client, event):
    ListingFactory.create_batch(53, ticket__event=event)
    first = _listing_ids(_page(client, event))
    second_html = _page(client, event, page=2, utm="<x>")

    assert len(first) == 50
    assert len(_listing_ids(second_html)) == 3
    assert not set(first) & set(_listing_ids(second_html))
    # The shared page links carry nothing of the request that built them.
    assert 'href="?page=1"' in second_html
    assert "utm" not in second_html
    assert _listing_ids(_page(client, event, page=2)) == _listing_ids(second_html)


def test_a_draft_stays_hidden_from_others_once_its_organizer_has_seen_it(client, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DRAFT)
    client.force_login(event.organizer)
    assert client.get(f"/events/{event.pk}/").status_code == 200
    client.logout()

    assert client.get(f"/events/{event.pk}/").status_code == 404


def test_the_viewers_own_parts_are_their_own(client, event):
    _listed(event)
    fan = UserFactory()
    waitlist_join(fan=fan, event=event)
    assert "Log in to join the waiting list" in _page(client, event)

    client.force_login(fan)
    member = _page(client, event)
    client.force_login(event.organizer)
    organizer = _page(client, event)

    assert "You're on the list" in member and "Log out" in member
    assert "Edit event" not in member
    assert "Edit event" in organizer and "You're on the list" not in organizer


def test_a_visitor_served_from_the_cache_costs_no_query(
    client, event, django_assert_max_num_queries
):
    ListingFactory.create_batch(50, ticket__event=event)
    _page(client, event)

    with django_assert_max_num_queries(0):
        _page(client, event)


def test_a_fan_served_from_the_cache_costs_the_same_few_queries(
    client, event, django_assert_max_num_queries
):
    ListingFactory.create_batch(50, ticket__event=event)
    client.force_login(UserFactory())
    _page(client, event)

    # The fan and their waiting list entry (the session and the bell's count are
    # read through the cache).
    with django_assert_max_num_queries(2):
        _page(client, event)


def test_a_page_built_again_costs_the_same_queries_however_many_tickets(
    client, event, django_assert_max_num_queries
):
    ListingFactory.create_batch(50, ticket__event=event)
    # The event with its counts, its page of tickets (with ticket, event, seller).
    with django_assert_max_num_queries(3):
        _page(client, event)


def test_a_visitor_is_sent_the_stored_page_which_holds_nothing_of_anyone(client, event):
    listing = _listed(event)
    first = client.get(f"/events/{event.pk}/")
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("51.00"))  # no version bumped
    second = client.get(f"/events/{event.pk}/")

    assert second.content == first.content
    assert "csrfmiddlewaretoken" not in second.content.decode()
    assert "Set-Cookie" not in second.headers
    assert second["Content-Type"] == first["Content-Type"]


def test_a_visitor_with_a_message_waiting_gets_the_page_built_with_it(client, event):
    stored = _page(client, event)
    client.force_login(UserFactory())
    client.post("/accounts/logout/")  # leaves "You are logged out." for the next page

    html = _page(client, event)

    assert "logged out" not in stored
    assert "logged out" in html


def test_the_join_form_rendered_once_carries_each_fans_own_token(event):
    from django.test import Client

    from listings.models import WaitlistEntry

    fans = [UserFactory(), UserFactory()]
    for fan in fans:
        client = Client(enforce_csrf_checks=True)
        client.force_login(fan)
        html = _page(client, event)
        (token,) = re.findall(
            r'waitlist-form".*?name="csrfmiddlewaretoken" value="([^"]+)"', html, re.DOTALL
        )

        response = client.post(
            f"/events/{event.pk}/waitlist/", {"csrfmiddlewaretoken": token, "quantity": 1}
        )

        assert response.status_code == 302
    assert WaitlistEntry.objects.filter(event=event, fan__in=fans).count() == 2
