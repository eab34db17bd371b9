"""My payouts: the payout account's state, the money held, scheduled, paid and
failed, and each payout linked to its sale; the selling pages say when payout
details are missing."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from payments.models import Payout, PayoutAccount
from payments.tests.factories import PayoutAccountFactory, PayoutFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(client):
    user = UserFactory()
    client.force_login(user)
    return user


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_every_status_is_listed_with_its_amount_its_sale_and_what_it_waits_for(client, seller):
    statuses = [
        Payout.Status.HELD,
        Payout.Status.SCHEDULED,
        Payout.Status.PAID,
        Payout.Status.FAILED,
        Payout.Status.FROZEN,
        Payout.Status.REVERSED,
        Payout.Status.CANCELLED,
    ]
    payouts = [
        PayoutFactory(
            transaction__listing__seller=seller,
            transaction__listing__ticket__owner=seller,
            transaction__listing__ticket__event__name=f"Gig {status}",
            status=status,
            failure_message="The account cannot receive transfers."
            if status == Payout.Status.FAILED
            else "",
            next_attempt_at=timezone.now() if status == Payout.Status.FAILED else None,
        )
        for status in statuses
    ]
    PayoutFactory(transaction__listing__ticket__event__name="Not My Gig")

    response = client.get(reverse("payments:payouts"))

    assert response.status_code == 200
    html = response.content.decode()
    for payout in payouts:
        assert f'class="status status-{payout.status}"' in html
        assert f"Gig {payout.status}" in html
        assert reverse("payments:transaction", args=[payout.transaction_id]) in html
    page = text(response)
    assert "The account cannot receive transfers. We try again on" in page
    assert "The buyer's bank disputes the payment" in page
    assert "Not My Gig" not in page


def test_the_totals_say_what_is_held_scheduled_paid_and_failed(client, seller):
    def payout(status, amount):
        PayoutFactory(
            transaction__listing__seller=seller,
            transaction__listing__ticket__owner=seller,
            status=status,
            amount=amount,
        )

    payout(Payout.Status.HELD, "50.60")
    payout(Payout.Status.FROZEN, "10.00")
    payout(Payout.Status.SCHEDULED, "20.00")
    payout(Payout.Status.PAID, "1000.00")
    payout(Payout.Status.PAID, "1.50")

    page = text(client.get(reverse("payments:payouts")))

    assert "Held in escrow €60.60" in page
    assert "Scheduled €20.00" in page
    assert "Paid €1,001.50" in page
    assert "Failed —" in page


def test_without_an_account_the_page_offers_get_paid(client, seller):
    page = client.get(reverse("payments:payouts")).content.decode()

    assert ">Get paid</button>" in page
    assert 'label for="id_country"' in page
    assert "Encore never sees your bank details" in page


def test_with_an_account_that_needs_more_the_page_says_so(client, seller):
    PayoutAccountFactory(
        user=seller, payouts_enabled=False, transfers_active=False, requirements_due=["dob"]
    )

    page = text(client.get(reverse("payments:payouts")))

    assert "More information needed" in page
    assert "Continue with Stripe" in page


def test_a_held_payout_of_a_completed_sale_waits_for_payout_details(client, seller):
    PayoutFactory(
        transaction__listing__seller=seller,
        transaction__listing__ticket__owner=seller,
        transaction__status="completed",
        status=Payout.Status.HELD,
    )

    assert "Waiting for your payout details" in text(client.get(reverse("payments:payouts")))


@pytest.mark.parametrize("payout_count", [2, 20])
def test_queries_do_not_grow_with_the_payouts_shown(
    client, seller, django_assert_max_num_queries, payout_count
):
    PayoutAccountFactory(user=seller)
    for _ in range(payout_count):
        PayoutFactory(
            transaction__listing__seller=seller, transaction__listing__ticket__owner=seller
        )

    with django_assert_max_num_queries(7):
        response = client.get(reverse("payments:payouts"))

    assert response.content.decode().count('class="status status-held"') == payout_count


@pytest.mark.parametrize("name", ["listings:mine", "listings:sell-event"])
def test_selling_pages_say_payout_details_are_needed_with_a_link(client, seller, name):
    listing = ListingFactory(ticket=TicketFactory(owner=seller, status="listed"), seller=seller)
    args = [listing.ticket.event_id] if name == "listings:sell-event" else []

    before = client.get(reverse(name, args=args)).content.decode()
    PayoutAccountFactory(user=seller)
    after = client.get(reverse(name, args=args)).content.decode()

    assert "Add your payout details" in before
    assert reverse("payments:payouts") in before
    assert "payout-details-notice" not in after
    assert PayoutAccount.objects.get(user=seller).can_receive


def test_my_payouts_needs_a_login(client):
    response = client.get(reverse("payments:payouts"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
