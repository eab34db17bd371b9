"""Sign-up and email verification in Chromium, and staff settling a dispute
in the admin."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import StaffFactory
from messaging.models import Email
from payments.models import Dispute, Transaction
from payments.services import dispute_open, transaction_pay, transaction_purchase
from payments.tests.helpers import CARD_OK

from .helpers import shoot
from .test_buy import _on_sale

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_fan_signs_up_confirms_the_emailed_link_and_is_verified(site):
    page = site.go("/accounts/signup/")
    shoot(page, "signup")
    page.get_by_label("Email").fill("new.fan@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-pass-phrase-9")
    page.get_by_label(re.compile("again|confirm", re.I)).fill("a-long-pass-phrase-9")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name=re.compile("inbox", re.I))).to_be_visible()

    body = Email.objects.filter(to="new.fan@example.com").latest("id").body
    link = re.search(r"https?://[^/\s]+(/\S+)", body).group(1)
    page = site.go(link)
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_load_state()

    assert User.objects.get(email="new.fan@example.com").email_verified is True
    page = site.go("/profile/")
    expect(page.get_by_text(re.compile("Email verified", re.I)).first).to_be_visible()
    shoot(page, "profile")


def test_staff_settle_a_dispute_for_the_buyer_in_the_admin(site):
    listing = _on_sale()
    buyer = listing.seller.__class__.objects.create_user(
        "bea@example.com", "x-pass-phrase-77", email_verified=True
    )
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_OK)
    dispute = dispute_open(
        buyer=buyer,
        transaction_id=txn.pk,
        reason="invalid_ticket",
        description="Refused at the door.",
    )
    staff = StaffFactory(email="staff@example.com")

    site.log_in_with_code(staff)
    page = site.go("/admin/payments/dispute/")
    shoot(page, "admin-disputes")
    page.get_by_role("checkbox", name=re.compile("Select this object", re.I)).first.check()
    page.locator("select[name=action]").select_option(
        label="Settle for the buyer: refund in full, void the ticket"
    )
    page.get_by_role("button", name="Go").click()
    page.get_by_label(re.compile("note", re.I)).fill("The venue confirmed the barcode was void.")
    page.get_by_role("button", name=re.compile("^Yes", re.I)).click()
    expect(page.get_by_text(re.compile("settled|refund", re.I)).first).to_be_visible()

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.RESOLVED_REFUND
    assert Transaction.objects.get(pk=txn.pk).status == "refunded"
