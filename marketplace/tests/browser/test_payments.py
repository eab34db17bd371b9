"""Payments in Chromium: the card holder's bank asks for authentication
(3-D Secure) and the buyer passes it, or fails it and pays with another card;
a seller fills in Stripe's hosted onboarding (the local stand-in) and sees
their payout paid once the buyer confirms receipt."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from payments.models import Payout, PayoutAccount, Transaction
from payments.tests.stripe_helpers import paid_purchase
from tickets.tests.factories import TicketFactory

from .helpers import shoot
from .test_buy import _type_card

pytestmark = pytest.mark.django_db(transaction=True)

CARD_3DS = "4000 0027 6000 3184"  # its bank always asks the card holder to authenticate
CARD_OK = "4242 4242 4242 4242"
BANK_DIALOG = "Do you want to confirm or cancel?"  # the stand-in Stripe.js's 3-D Secure step


def _on_sale():
    seller = UserFactory(email="seller@example.com", name="Sam Seller")
    event = EventFactory(name="Fontaines D.C. at 3Arena", category="concert")
    ticket = TicketFactory(event=event, owner=seller, status="listed", face_value=Decimal("50.00"))
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal("55.00"))


def _checkout(site, listing, buyer):
    """The buyer, logged in, reserves the listing: its checkout with the countdown."""
    site.log_in(buyer.email)
    page = site.go(reverse("listings:detail", args=[listing.pk]))
    page.get_by_role("button", name="Buy this ticket").click()
    expect(page.get_by_role("timer")).to_be_visible()
    return page


def _pay_asking_the_bank(page):
    """Pay with the card whose bank asks for authentication: the bank's dialog opens."""
    _type_card(page, CARD_3DS)
    page.get_by_role("button", name="Pay", exact=True).click()
    dialog = page.locator("div", has=page.get_by_text(BANK_DIALOG)).last
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Complete authentication")).to_be_in_viewport()
    expect(page.locator("body")).to_have_class(re.compile(r"\bbank-check-open\b"))  # dimmed
    return dialog


def test_the_bank_asks_the_buyer_to_authenticate_and_the_payment_goes_through(site):
    listing = _on_sale()
    buyer = UserFactory(email="bea@example.com", name="Bea Buyer")
    page = _checkout(site, listing, buyer)

    dialog = _pay_asking_the_bank(page)
    # The page behind the dialog says what the bank is doing.
    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    assert Transaction.objects.get().payment_status == Transaction.PaymentStatus.REQUIRES_ACTION
    shoot(page, "checkout-3ds")

    dialog.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(page.get_by_text(re.compile("the ticket is yours"))).to_be_visible()
    shoot(page, "checkout-3ds-done")
    txn = Transaction.objects.get()
    assert (txn.buyer, txn.status) == (buyer, Transaction.Status.PAID)
    listing.ticket.refresh_from_db()
    assert listing.ticket.owner == buyer


def test_a_failed_authentication_charges_nothing_and_another_card_pays_the_same_purchase(site):
    listing = _on_sale()
    buyer = UserFactory(email="dee@example.com", name="Dee Buyer")
    page = _checkout(site, listing, buyer)
    first = Transaction.objects.get()

    dialog = _pay_asking_the_bank(page)
    dialog.get_by_role("button", name="Fail authentication").click()

    # Back on the checkout: the bank's answer in words, the reservation still running.
    expect(page.get_by_role("alert").filter(has_text="Your bank did not confirm")).to_be_visible()
    expect(page.get_by_text(re.compile("nothing was charged"))).to_be_visible()
    expect(page.get_by_role("timer")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.get_by_text(BANK_DIALOG)).to_have_count(0)
    shoot(page, "checkout-3ds-failed")
    first.refresh_from_db()
    assert first.status == Transaction.Status.PENDING_PAYMENT

    _type_card(page, CARD_OK)
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    txn = Transaction.objects.get(listing=listing)  # one purchase for the listing, not two
    assert txn.pk == first.pk
    assert (txn.buyer, txn.status) == (buyer, Transaction.Status.PAID)
    listing.ticket.refresh_from_db()
    assert listing.ticket.owner == buyer


def test_a_seller_adds_payout_details_at_stripe_and_is_paid_when_the_buyer_confirms(
    site, second_site
):
    listing = _on_sale()
    seller = listing.seller
    buyer = UserFactory(email="bea@example.com", name="Bea Buyer")
    sale = paid_purchase(buyer, listing)

    # The seller: the sale's money is held, payout details are needed.
    site.log_in(seller.email)
    page = site.go("/my/payouts/")
    expect(page.get_by_role("heading", name="My payouts")).to_be_visible()
    expect(page.get_by_text(re.compile("add your payout details"))).to_be_visible()
    held = page.locator(".payout-totals div", has=page.get_by_text("Held in escrow"))
    expect(held).to_contain_text("€50.60")
    row = page.locator(".payouts-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("Held in escrow")
    shoot(page, "payouts-onboarding")

    page.get_by_label("Country where you live and bank").select_option("IE")
    page.get_by_role("button", name="Get paid").click()

    # Stripe's hosted onboarding (the local stand-in), filled in by hand.
    page.wait_for_url(re.compile(r"/setup/e/acct_\w+/"))
    expect(page.get_by_label("IBAN")).not_to_have_value("")
    page.get_by_label("Legal first name").fill("Sam")
    page.get_by_label("Legal last name").fill("Seller")
    page.get_by_label("Date of birth").fill("1990-04-21")
    page.get_by_label(re.compile("I accept the Stripe Connected Account Agreement")).check()
    shoot(page, "stripe-onboarding")
    page.get_by_role("button", name="Submit", exact=True).click()

    page.wait_for_url(re.compile(r"/my/payouts/$"))
    expect(page.get_by_text(re.compile("Your payout account is ready"))).to_be_visible()
    expect(page.locator(".payout-account .status")).to_have_text("Ready")
    assert PayoutAccount.objects.get(user=seller).can_receive
    shoot(page, "payouts-ready")

    # The buyer, in their own browser, confirms they have the ticket.
    second_site.log_in(buyer.email)
    buyer_page = second_site.go(f"/my/transactions/{sale.pk}/")
    buyer_page.get_by_role("button", name="Confirm I received it").click()
    expect(buyer_page.get_by_text(re.compile("Completed")).first).to_be_visible()

    # The seller reloads: the payout is paid, linked to its sale.
    page.reload()
    row = page.locator(".payouts-table tbody tr")
    expect(row.locator(".status-paid")).to_have_text("Paid")
    expect(row.get_by_role("link", name=f"Sale #{sale.pk}")).to_have_attribute(
        "href", f"/my/transactions/{sale.pk}/"
    )
    paid = page.locator(".payout-totals div", has=page.get_by_text("Paid", exact=True))
    expect(paid).to_contain_text("€50.60")
    shoot(page, "payouts-paid")
    payout = Payout.objects.get(transaction=sale)
    assert (payout.status, payout.seller) == (Payout.Status.PAID, seller)
    assert payout.transfer_id.startswith("tr_")
