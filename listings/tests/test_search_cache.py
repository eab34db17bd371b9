"""The listings and events searches of the API served from the cache: a page of
results is built once per change of what it shows (marketplace/core/api/cached.py)."""

import json
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import listing_cancel, listing_create, listing_update_price
from marketplace.testing import in_days
from payments.services import transaction_purchase
from payments.tests.helpers import CARD_OK
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _listed(event, *, price="55.00") -> Listing:
    ticket = TicketFactory(
        event=event, owner=UserFactory(), status=Ticket.Status.AVAILABLE, face_value=Decimal("50")
    )
    return listing_create(seller=ticket.owner, ticket=ticket, price=price)


def _body(api, url: str, params: dict | None = None) -> dict:
    response = api.get(url, params or {})
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def _prices(api, event) -> list[str]:
    body = _body(api, "/api/v1/listings", {"event_id": event.pk})
    return [row["price"] for row in body["data"]]


@pytest.fixture
def event():
    return EventFactory(event_date=in_days(30))


def test_a_page_of_results_is_served_from_the_cache_until_a_listing_changes(api, event):
    listing = _listed(event)
    assert _prices(api, event) == ["55.00"]
    # Changed behind the services' back (no version bumped): the stored page stays.
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("51.00"))

    assert _prices(api, event) == ["55.00"]


def test_the_same_question_asked_in_another_order_shares_the_page(api, event):
    listing = _listed(event)
    _body(api, "/api/v1/listings", {"event_id": event.pk, "ordering": "price", "page": 1})
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("51.00"))

    body = _body(api, f"/api/v1/listings?page=1&ordering=price&event_id={event.pk}&unread=x")

    assert [row["price"] for row in body["data"]] == ["55.00"]


def test_a_new_listing_a_price_change_a_withdrawal_and_a_sale_show_at_once(api, event):
    first = _listed(event)
    assert _prices(api, event) == ["55.00"]

    second = _listed(event, price="52.00")
    assert _prices(api, event) == ["52.00", "55.00"]

    listing_update_price(seller=first.seller, listing=first, price="53.00")
    assert _prices(api, event) == ["52.00", "53.00"]

    listing_cancel(actor=first.seller, listing=first)
    assert _prices(api, event) == ["52.00"]

    transaction_purchase(buyer=UserFactory(), listing_id=second.pk, payment_method_id=CARD_OK)
    assert _prices(api, event) == []


def test_searches_of_the_whole_catalogue_follow_every_change(api, event):
    listing = _listed(event)
    assert [row["id"] for row in _body(api, "/api/v1/listings")["data"]] == [listing.pk]

    listing_cancel(actor=listing.seller, listing=listing)

    assert _body(api, "/api/v1/listings")["data"] == []


def test_the_events_search_counts_follow_the_sales(api, event):
    sold = _listed(event)
    _listed(event)

    def count():
        (row,) = _body(api, "/api/v1/events", {"q": event.name})["data"]
        return row["listing_count"]

    assert count() == 2
    transaction_purchase(buyer=UserFactory(), listing_id=sold.pk, payment_method_id=CARD_OK)
    assert count() == 1


def test_a_stored_page_reads_as_a_built_one_with_its_own_timestamp(api, event):
    _listed(event)
    built = _body(api, "/api/v1/listings", {"event_id": event.pk})
    stored = _body(api, "/api/v1/listings", {"event_id": event.pk})

    assert stored["data"] == built["data"]
    assert stored["meta"]["pagination"] == built["meta"]["pagination"]
    assert stored["success"] is True
    assert set(stored["meta"]) == set(built["meta"])


def test_a_refused_question_is_not_stored(api, event):
    bad = api.get("/api/v1/listings", {"event_id": event.pk, "min_price": "cheap"})
    again = api.get("/api/v1/listings", {"event_id": event.pk, "min_price": "cheap"})

    assert bad.status_code == again.status_code == 400
    assert json.loads(again.content)["error"]["code"] == "VALIDATION_ERROR"


def test_a_stored_page_costs_no_query(api, event, django_assert_max_num_queries):
    for _ in range(3):
        _listed(event)
    _prices(api, event)

    with django_assert_max_num_queries(0):
        _prices(api, event)


def test_each_language_has_its_own_stored_page(api, event):
    # A listing's price_text is in the answer's language (Accept-Language):
    # a German answer is never served to an English question, nor back.
    _listed(event, price="55.00")

    def price_texts(language):
        response = api.get(
            "/api/v1/listings", {"event_id": event.pk}, HTTP_ACCEPT_LANGUAGE=language
        )
        return [row["price_text"] for row in json.loads(response.content)["data"]]

    for _ in range(2):
        assert price_texts("en") == ["€55.00"]
        assert price_texts("de") == ["55,00\xa0€"]
