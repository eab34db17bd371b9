"""The waiting list in Chromium (issue 16): a fan joins from the event page; a
seller lists a ticket on the sell page; the ticket is held for the fan, who is
emailed, opens the offer, presses Buy and pays by card; meanwhile nobody else
sees the ticket on sale."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing, WaitlistOffer
from payments.models import Transaction
from tickets.tests.files import ticket_pdf

from .helpers import axe_check, shoot

pytestmark = pytest.mark.django_db(transaction=True)


def _type_card(page, number):
    # localstripe's stand-in for Stripe Elements: plain inputs named by placeholder.
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("D01")


def _list_on_the_sell_page(site, event, barcode):
    page = site.go(f"/sell/{event.pk}/")
    page.get_by_label("Ticket file").set_input_files(
        {"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": ticket_pdf(barcode)}
    )
    page.get_by_label("Barcode").fill(barcode)
    page.get_by_label("Face value").fill("50.00")
    page.get_by_label("Price").fill("55.00")
    page.get_by_role("button", name="List my ticket").click()
    expect(page.get_by_role("heading", name=re.compile("My listings"))).to_be_visible()


def test_a_fan_on_the_waiting_list_is_offered_the_ticket_first_and_buys_it(site, second_site):
    fan = UserFactory(email="wren@example.com", name="Wren Fan")
    seller = UserFactory(email="sid@example.com", name="Sid Seller")
    event = EventFactory(name="Lankum at Vicar Street", category="concert")

    # The fan joins from the event page.
    site.log_in(fan.email)
    page = site.go(f"/events/{event.pk}/")
    section = page.locator("#waitlist")
    expect(section.get_by_text("No fans waiting yet. Be the first to join.")).to_be_visible()
    shoot(page, "waitlist-event-join")
    section.get_by_label("How many tickets").select_option("1")
    section.get_by_label("Highest price per ticket (EUR)").fill("60.00")
    section.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text(re.compile("You're on the waiting list for Lankum"))).to_be_visible()
    expect(page.locator("#waitlist").get_by_text("number 1 in line")).to_be_visible()
    axe_check(page, "event page, on the waiting list")
    shoot(page, "waitlist-event-member")
    # What they wait for can be changed on the form's own page.
    page.get_by_role("link", name="Change what I wait for").click()
    expect(page.get_by_label("Highest price per ticket (EUR)")).to_have_value("60.00")
    shoot(page, "waitlist-join-page")

    # A seller lists a ticket: it is held for the fan, not put on sale.
    second_site.log_in(seller.email)
    _list_on_the_sell_page(second_site, event, "LANKUM-0042-WL")
    listing = Listing.objects.get()
    offer = WaitlistOffer.objects.get(listing=listing, state=WaitlistOffer.State.OPEN)
    assert (listing.status, offer.entry.fan) == (Listing.Status.PENDING, fan)

    # The fan is emailed a link to the offer.
    (email,) = [message for message in mail.outbox if message.to == [fan.email]]
    path = re.search(r"https?://[^/\s]+(/waitlist/offers/\d+/)", email.body).group(1)
    assert path == f"/waitlist/offers/{offer.pk}/"

    # Meanwhile nobody else sees the ticket on sale, nor can open it (the second
    # browser, logged out).
    second_site.page.get_by_role("button", name="Log out").click()
    second_site.page.wait_for_load_state()
    other = second_site.go(f"/events/{event.pk}/")
    expect(other.get_by_text("No tickets on sale for this event right now.")).to_be_visible()
    expect(other.locator("#waitlist").get_by_text("1 fan waiting")).to_be_visible()
    other = second_site.go(f"/listings/{listing.pk}/")
    expect(
        other.get_by_role("heading", name="This ticket is reserved by another fan right now")
    ).to_be_visible()
    expect(other.get_by_role("button", name="Buy this ticket")).to_have_count(0)

    # The event page and My waiting lists show the offer; its page counts down.
    page = site.go(f"/events/{event.pk}/")
    expect(page.locator("#waitlist").get_by_text(re.compile("held for you until"))).to_be_visible()
    shoot(page, "waitlist-event-offer")
    page = site.go("/my/waitlists/")
    expect(page.get_by_text("Ticket held for you")).to_be_visible()
    axe_check(page, "My waiting lists")
    shoot(page, "waitlist-mine-offered")
    page.get_by_role("link", name=re.compile("See the offer and buy")).click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", name=re.compile("is held for you"))).to_be_visible()
    expect(page.locator("[data-countdown-time]")).to_have_text(re.compile(r"\d+:\d\d left\."))
    axe_check(page, "offer page")
    shoot(page, "waitlist-offer")

    # Buy goes straight to the checkout, with the ticket reserved for the fan.
    page.get_by_role("button", name="Buy this ticket").click()
    expect(page.get_by_role("timer")).to_be_visible()
    _type_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name=re.compile("Payment received"))).to_be_visible()

    txn = Transaction.objects.get()
    offer.refresh_from_db()
    assert (txn.buyer, txn.status, txn.waitlist_offer_id) == (fan, "paid", offer.pk)
    assert offer.state == WaitlistOffer.State.ACCEPTED
    page = site.go("/my/purchases/")
    expect(page.get_by_role("link", name=event.name)).to_be_visible()
    page = site.go("/my/waitlists/")
    expect(page.get_by_text("You have your tickets")).to_be_visible()
    shoot(page, "waitlist-mine-done")
    page = site.go(path)
    expect(page.get_by_role("heading", name="You took this ticket")).to_be_visible()
