"""axe-core on the main pages, at desktop and phone widths: no serious or
critical WCAG 2.2 A/AA violation (the promise of /accessibility/). And the
checkout's "I need more time" (SC 2.2.1): revealed and announced by
checkout.js in the reservation's last 3 minutes, and working."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import OrganizerFactory, UserFactory
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from payments.models import Transaction
from payments.tests.helpers import transaction_in
from tickets.tests.factories import TicketFactory

from .helpers import axe_check, shoot

pytestmark = pytest.mark.django_db(transaction=True)


def _on_sale(seller, event):
    ticket = TicketFactory(event=event, owner=seller, status="listed", face_value=Decimal("50.00"))
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal("55.00"))


def test_the_main_pages_have_no_serious_axe_violations(site, second_site):
    # given: an organizer who also sells, a listing, and a buyer with a paid purchase
    organizer = OrganizerFactory(email="olive@example.com", name="Olive Organizer")
    event = EventFactory(name="Fontaines D.C. at 3Arena", category="concert", organizer=organizer)
    listing = _on_sale(organizer, event)
    buyer = UserFactory(email="bea@example.com", name="Bea Buyer")
    paid = transaction_in(
        Transaction.Status.PAID,
        buyer=buyer,
        listing=_on_sale(organizer, event),
    )

    # the buyer's pages
    axe_check(site.go("/"), "home")
    axe_check(site.go("/accessibility/"), "accessibility statement")
    axe_check(site.go(f"/listings/{listing.pk}/report/"), "report, by email")
    site.log_in(buyer.email)
    axe_check(site.go("/events/"), "events")
    axe_check(site.go(f"/events/{event.pk}/"), "event")
    page = site.go(f"/listings/{listing.pk}/report/")
    axe_check(page, "report")
    shoot(page, "listing-report")
    page = site.go(f"/listings/{listing.pk}/")
    axe_check(page, "listing")
    page.get_by_role("button", name="Buy this ticket").click()
    expect(page.get_by_role("timer")).to_be_visible()
    axe_check(page, "checkout")
    axe_check(site.go(f"/my/transactions/{paid.pk}/"), "transaction")

    # the seller's and the organizer's pages
    second_site.log_in(organizer.email)
    axe_check(second_site.go("/sell/"), "sell")
    axe_check(second_site.go(f"/sell/{event.pk}/"), "sell an event's ticket")
    axe_check(second_site.go("/my/payouts/"), "payouts")
    axe_check(second_site.go("/organizer/events/"), "organizer's events")
    axe_check(second_site.go(f"/organizer/events/{event.pk}/edit/"), "organizer's event")


def test_a_buyer_short_of_time_is_told_and_gets_fifteen_more_minutes_once(site):
    organizer = OrganizerFactory(email="olive@example.com")
    listing = _on_sale(organizer, EventFactory(name="Lankum", organizer=organizer))
    buyer = UserFactory(email="bea@example.com")
    site.log_in(buyer.email)
    page = site.go(f"/listings/{listing.pk}/")
    page.get_by_role("button", name="Buy this ticket").click()
    expect(page.get_by_role("timer")).to_be_visible()
    txn = Transaction.objects.get()

    # given: the reservation's last 3 minutes start 2 seconds from now
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() + datetime.timedelta(minutes=3, seconds=2)
    )
    page.reload()
    more_time = page.get_by_role("button", name=re.compile("I need more time"))
    expect(more_time).to_be_hidden()

    # when the moment comes, the button shows and the alert says why
    expect(more_time).to_be_visible(timeout=8_000)
    expect(page.locator("#countdown-warning")).to_have_text(re.compile("Need more time?"))
    axe_check(page, "checkout, last minutes")
    shoot(page, "checkout-more-time")

    more_time.click()

    # then: 15 more minutes, once
    expect(page.get_by_text(re.compile("You have 15 more minutes"))).to_be_visible()
    expect(page.get_by_text("You already had 15 more minutes once.")).to_be_visible()
    txn.refresh_from_db()
    assert txn.reservation_extended_at is not None
    left = txn.reserved_until - timezone.now()
    assert datetime.timedelta(minutes=17) < left < datetime.timedelta(minutes=18, seconds=5)


def test_axe_catches_serious_violations(page):
    from .helpers import axe_violations

    page.set_content(
        '<html lang="en"><body><main><h1>Tickets</h1>'
        '<p style="color:#bbb;background:#fff">Pale text</p>'
        '<img src="x.png"><input id="q"></main></body></html>'
    )

    rules = {line.split(" ")[0] for line in axe_violations(page)}

    assert {"color-contrast", "image-alt", "label"} <= rules
