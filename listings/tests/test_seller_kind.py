"""What buyers are told about the seller and the order of results (EU Omnibus
directive 2019/2161): "Professional seller: NAME" or "Private seller" on the
listing page and in the API, and the event page's ranking sentence."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from accounts.traders import trader_declaration_save
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

TRADER = {
    "business_name": "Dublin Ticket Co. Ltd",
    "address": "1 Main Street, Dublin 1",
    "phone": "+353 1 555 0100",
    "email": "sales@dublintickets.example",
    "trade_register_name": "Companies Registration Office (Ireland)",
    "trade_register_number": "654321",
    "compliance_certified": True,
}


@pytest.fixture
def trader_listing():
    seller = UserFactory()
    trader_declaration_save(user=seller, kind="trader", **TRADER)
    return ListingFactory(ticket__owner=seller)


def test_a_traders_listing_page_says_professional_seller_and_the_name(
    client, trader_listing, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get(f"/listings/{trader_listing.pk}/")

    html = response.content.decode()
    assert "<strong>Professional seller: Dublin Ticket Co. Ltd</strong>" in html
    assert "Private seller" not in html


@pytest.mark.parametrize("declared", [False, True])
def test_a_private_sellers_listing_page_says_private_seller(client, declared):
    listing = ListingFactory()
    if declared:
        trader_declaration_save(user=listing.seller, kind="private")

    html = client.get(f"/listings/{listing.pk}/").content.decode()

    assert "<strong>Private seller</strong>" in html
    assert "Professional seller" not in html


def test_the_api_says_the_seller_kind_on_every_listing_without_a_query_each(
    api, trader_listing, django_assert_max_num_queries
):
    ListingFactory(ticket__event=trader_listing.ticket.event, price=Decimal("50.00"))

    one = api.get(f"/api/v1/listings/{trader_listing.pk}").json()["data"]
    with django_assert_max_num_queries(3):
        page = api.get("/api/v1/listings", {"event_id": trader_listing.ticket.event_id})

    assert one["seller_kind"] == {
        "kind": "trader",
        "trader_name": "Dublin Ticket Co. Ltd",
        "label": "Professional seller: Dublin Ticket Co. Ltd",
    }
    kinds = [row["seller_kind"]["label"] for row in page.json()["data"]]
    assert kinds == ["Private seller", "Professional seller: Dublin Ticket Co. Ltd"]


def test_the_event_page_says_how_tickets_are_ordered(client, django_assert_max_num_queries):
    event = EventFactory()
    ListingFactory(ticket__event=event)

    with django_assert_max_num_queries(8):
        html = client.get(f"/events/{event.pk}/").content.decode()

    assert (
        "cheapest first; at the same price, the ticket listed first comes first. "
        "No paid placement: no seller can pay Encore to appear higher."
    ) in html
