"""A seller lists a ticket in Chromium: the cap refuses the first price on
the price field, the second is listed; a tier sets the face value; a file
without a readable barcode waits for staff."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.models import PriceTier
from events.tests.factories import EventFactory
from listings.models import Listing
from tickets.models import Ticket
from tickets.tests.factories import PDF_BYTES
from tickets.tests.files import ticket_pdf

from .helpers import shoot

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

    # The box office's PDF: its barcode as a QR code, which Encore reads.
    page.get_by_label("Ticket file").set_input_files(
        {
            "name": "ticket.pdf",
            "mimeType": "application/pdf",
            "buffer": ticket_pdf("LANKUM-0001-ZZ"),
        }
    )
    page.get_by_label("Barcode").fill("LANKUM-0001-ZZ")
    page.get_by_label("Face value").fill("50.00")
    page.get_by_label("Price").fill("75.00")
    # The allowed range and the payout are shown as the seller types.
    expect(page.get_by_text(re.compile(r"€40\.00 to €60\.00"))).to_be_visible()
    shoot(page, "sell-form")
    page.get_by_role("button", name="List my ticket").click()

    # Refused on the price field, with the maximum; nothing is on sale yet.
    price_field = page.locator(".field-error", has=page.get_by_label("Price"))
    expect(price_field.get_by_text(re.compile(r"At most €60\.00"))).to_be_visible()
    assert not Listing.objects.exists()
    shoot(page, "sell-cap-error")

    page.get_by_label("Price").fill("55.00")
    expect(page.get_by_text(re.compile(r"You receive €50\.60"))).to_be_visible()
    page.get_by_role("button", name="List my ticket").click()

    expect(page.get_by_role("heading", name=re.compile("My listings"))).to_be_visible()
    listing = Listing.objects.get()
    assert (listing.seller, listing.price, listing.status) == (seller, Decimal("55.00"), "active")
    shoot(page, "my-listings")


def test_a_seller_picks_the_organizers_tier_and_its_face_value_sets_the_cap(site):
    seller = UserFactory(email="tia@example.com")
    event = EventFactory(name="Hozier at the 3Arena", category="concert")
    PriceTier.objects.create(event=event, name="Seated", face_value=Decimal("80.00"))
    PriceTier.objects.create(
        event=event, name="Standing", face_value=Decimal("50.00"), fees=Decimal("5.00")
    )

    page = site.log_in(seller.email)
    page = site.go(f"/sell/{event.pk}/")
    expect(page.get_by_label("Face value")).to_have_count(0)
    page.get_by_label("Ticket file").set_input_files(
        {"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": ticket_pdf("HOZ-0042")}
    )
    page.get_by_label("Ticket tier").select_option(label="Standing: €50.00 + €5.00 fees")
    page.get_by_label("Price").fill("58.00")
    # The range follows the tier chosen: face value 50.00, cap + 20%.
    expect(page.get_by_text(re.compile(r"€40\.00 to €60\.00"))).to_be_visible()
    shoot(page, "sell-form-tiers")
    page.get_by_role("button", name="List my ticket").click()

    expect(page.get_by_role("heading", name=re.compile("My listings"))).to_be_visible()
    listing = Listing.objects.get()
    assert (listing.price, listing.ticket.face_value, listing.ticket.tier.name) == (
        Decimal("58.00"),
        Decimal("50.00"),
        "Standing",
    )


def test_a_file_without_a_readable_barcode_waits_for_the_staff_check(site):
    seller = UserFactory(email="una@example.com")
    event = EventFactory(name="Lisa Hannigan at Vicar Street", category="concert")

    page = site.log_in(seller.email)
    page = site.go(f"/sell/{event.pk}/")
    page.get_by_label("Ticket file").set_input_files(
        {"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_label("Barcode").fill("LISA-0007-AB")
    page.get_by_label("Face value").fill("45.00")
    page.get_by_label("Price").fill("45.00")
    page.get_by_role("button", name="List my ticket").click()

    # Uploaded, not on sale: My tickets says why, and offers no "List for sale".
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_text(re.compile("Encore's staff check it first"))).to_be_visible()
    expect(page.get_by_text("Waiting for Encore's check")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("List for sale"))).to_have_count(0)
    shoot(page, "my-tickets-in-review")
    ticket = Ticket.objects.get(owner=seller)
    assert ticket.verification == Ticket.Verification.PENDING_REVIEW
    assert not Listing.objects.exists()
