"""Buying in Chromium: the card typed into the Stripe.js form (localstripe's
stand-in), a declined card, and two buyers racing for one ticket."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from payments.models import Transaction
from tickets.tests.factories import PDF_BYTES, TicketFactory

from .helpers import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def _on_sale(price="55.00"):
    seller = UserFactory(email="seller@example.com", name="Sam Seller")
    event = EventFactory(name="Fontaines D.C. at 3Arena", category="concert")
    ticket = TicketFactory(
        event=event,
        owner=seller,
        status="listed",
        face_value=Decimal("50.00"),
        file_content=PDF_BYTES,
    )
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal(price))


def _type_card(page, number):
    # localstripe's stand-in for Stripe Elements: plain inputs named by placeholder.
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("D01")


def _open_listing(site, listing, *, shots=False):
    page = site.go("/events/")
    if shots:
        shoot(page, "events")
    page.get_by_role("link", name=re.compile(listing.ticket.event.name)).first.click()
    if shots:
        shoot(page, "event")
    page.get_by_role("link", name=re.compile("55.00")).first.click()
    expect(page.get_by_role("button", name="Buy this ticket")).to_be_visible()
    return page


def test_a_buyer_pays_by_card_downloads_the_ticket_messages_and_confirms(site):
    listing = _on_sale()
    buyer = UserFactory(email="bea@example.com", name="Bea Buyer")

    site.log_in(buyer.email)
    page = _open_listing(site, listing, shots=True)
    shoot(page, "listing")
    page.get_by_role("button", name="Buy this ticket").click()

    # The checkout: the reservation's countdown and the card form.
    expect(page.get_by_role("timer")).to_be_visible()
    shoot(page, "checkout")
    _type_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("heading", name=re.compile("Payment received"))).to_be_visible()
    txn = Transaction.objects.get()
    assert (txn.buyer, txn.status) == (buyer, "paid")
    shoot(page, "checkout-done")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download", re.I)).first.click()
    with open(download.value.path(), "rb") as ticket_file:
        assert ticket_file.read() == PDF_BYTES

    shoot(site.go("/my/purchases/"), "purchases")
    page = site.go(f"/my/transactions/{txn.pk}/")
    page.get_by_label("Message").fill("Thanks! Text me on 087 123 4567")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text(re.compile("Thanks!"))).to_be_visible()
    expect(page.get_by_text("087 123 4567")).to_have_count(0)

    page.get_by_role("button", name="Confirm I received it").click()
    txn.refresh_from_db()
    assert txn.status == "completed"
    expect(page.get_by_text(re.compile("Completed")).first).to_be_visible()
    shoot(page, "transaction")


def test_a_declined_card_says_why_and_puts_the_ticket_back_on_sale(site):
    listing = _on_sale()
    buyer = UserFactory(email="dee@example.com")

    site.log_in(buyer.email)
    page = _open_listing(site, listing)
    page.get_by_role("button", name="Buy this ticket").click()
    _type_card(page, "4000000000000341")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_text(re.compile("declined", re.I)).first).to_be_visible()
    shoot(page, "checkout-declined")
    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE
    assert Transaction.objects.get().status == "cancelled"


def test_two_buyers_racing_for_one_ticket_one_gets_it_the_other_is_told(site, second_site):
    listing = _on_sale()
    first, second = UserFactory(email="one@example.com"), UserFactory(email="two@example.com")
    site.log_in(first.email)
    second_site.log_in(second.email)
    pages = [_open_listing(site, listing), _open_listing(second_site, listing)]

    # Both press Buy at once: the two requests are in flight together.
    for page in pages:
        page.get_by_role("button", name="Buy this ticket").click(no_wait_after=True)
    for page in pages:  # the winner lands on its checkout, the other on the event
        page.wait_for_url(re.compile(r"/(checkout|events)/\d+/$"))

    assert Transaction.objects.count() == 1
    winner = Transaction.objects.get().buyer
    loser_page = pages[1] if winner == first else pages[0]
    winner_page = pages[0] if winner == first else pages[1]
    expect(winner_page.get_by_role("timer")).to_be_visible()
    expect(loser_page.get_by_text(re.compile("someone else", re.I)).first).to_be_visible()
    shoot(loser_page, "race-lost")
