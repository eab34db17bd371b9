"""A seller in the UK lists a ticket in Chromium: the range is the original price
(the tier's face value and fees), the form asks for what a listing must say, and the
listing page shows it with the rule in words (issue 15, parts 3 and 4)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.models import PriceTier
from events.tests.factories import EventFactory
from listings.models import Listing
from tickets.tests.files import ticket_pdf

from .helpers import axe_check, shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_uk_seller_lists_at_the_original_price_with_seat_and_restrictions(site):
    seller = UserFactory(email="ruth@example.com")
    event = EventFactory(
        name="Wet Leg at the O2 Academy",
        country="GB",
        currency="GBP",
        city="London",
        venue_name="O2 Academy Brixton",
    )
    PriceTier.objects.create(
        event=event, name="Circle", face_value=Decimal("60.00"), fees=Decimal("6.50")
    )

    page = site.log_in(seller.email)
    page = site.go(f"/sell/{event.pk}/")
    page.get_by_label("Ticket file").set_input_files(
        {"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": ticket_pdf("WETLEG-0007")}
    )
    page.get_by_label("Ticket tier").select_option(label="Circle: £60.00 + £6.50 fees")
    page.get_by_label("Ticket type").select_option(label="Seated")
    page.get_by_label("Section").fill("Circle")
    page.get_by_label(re.compile(r"^Row")).fill("C")
    page.get_by_label(re.compile(r"^Seat")).fill("14")
    page.get_by_label("Restricted view").check()
    page.get_by_label("ID must match the name on the ticket").check()
    page.get_by_label("Ticket number").fill("AXS-2231-77")
    page.get_by_label("Price").fill("70.00")
    # The range is the original price: 60.00 + 6.50, UK law.
    expect(page.get_by_text(re.compile(r"£48\.00 to £66\.50 \(UK law"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Too high: at most £66\.50"))).to_be_visible()
    shoot(page, "sell-form-uk-original-price")
    page.get_by_label("Price").fill("66.50")
    expect(page.get_by_text(re.compile(r"You receive £61\.18"))).to_be_visible()
    page.get_by_role("button", name="List my ticket").click()

    expect(page.get_by_role("heading", name=re.compile("My listings"))).to_be_visible()
    listing = Listing.objects.get()
    assert listing.price == Decimal("66.50")

    page = site.go(f"/listings/{listing.pk}/")
    expect(page.get_by_text("Section Circle, Row C, Seat 14")).to_be_visible()
    expect(
        page.get_by_text("ID must match the name on the ticket; Restricted view")
    ).to_be_visible()
    expect(page.get_by_text("AXS-2231-77")).to_be_visible()
    expect(page.get_by_role("cell", name="UK law: at most the original price")).to_be_visible()
    expect(page.get_by_text("WETLEG-0007")).to_have_count(0)
    shoot(page, "listing-uk-original-price")
    axe_check(page, "listing page")
