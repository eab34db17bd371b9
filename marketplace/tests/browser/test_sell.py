"""A seller lists a ticket in Chromium: the cap refuses the first price on
the price field, the second is listed."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing
from tickets.tests.factories import PDF_BYTES

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_seller_sees_the_cap_error_then_lists_the_ticket(site):
    seller = UserFactory(email="sam@example.com")
    event = EventFactory(name="Lankum at Vicar Street", category="concert")

    page = site.log_in(seller.email)
    page = site.go("/sell/")
    page.get_by_label(re.compile("event", re.I)).first.fill("Lankum")
    page.get_by_role("button", name=re.compile("search", re.I)).click()
    page.get_by_role("link", name=re.compile("Sell for this event")).first.click()
    expect(page.get_by_role("heading", name=f"Sell a ticket for {event.name}")).to_be_visible()

    page.get_by_label("Ticket file").set_input_files(
        {"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_label("Barcode").fill("LANKUM-0001-ZZ")
    page.get_by_label("Face value").fill("50.00")
    page.get_by_label("Price").fill("75.00")
    # The allowed range and the payout are shown as the seller types.
    expect(page.get_by_text(re.compile(r"40\.00 to 60\.00"))).to_be_visible()
    shoot(page, "sell-form")
    page.get_by_role("button", name="List my ticket").click()

    # Refused on the price field, with the maximum; nothing is on sale yet.
    price_field = page.locator(".field-error", has=page.get_by_label("Price"))
    expect(price_field.get_by_text(re.compile(r"At most 60\.00 EUR"))).to_be_visible()
    assert not Listing.objects.exists()
    shoot(page, "sell-cap-error")

    page.get_by_label("Price").fill("55.00")
    expect(page.get_by_text(re.compile(r"You receive 50\.60"))).to_be_visible()
    page.get_by_role("button", name="List my ticket").click()

    expect(page.get_by_role("heading", name=re.compile("My listings"))).to_be_visible()
    listing = Listing.objects.get()
    assert (listing.seller, listing.price, listing.status) == (seller, Decimal("55.00"), "active")
    shoot(page, "my-listings")
