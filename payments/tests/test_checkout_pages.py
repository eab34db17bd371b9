"""The buy flow's pages: "Buy", the checkout with its countdown and card form,
paying with a card (real localstripe), and the success page."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.testing import free_port
from payments import gateway
from payments.gateway import stripe_client
from payments.models import Transaction
from payments.services import transaction_purchase
from payments.tests.factories import TransactionFactory
from payments.tests.helpers import CARD_DECLINED, CARD_OK, past_event
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

VISA = "4242424242424242"
VISA_DECLINED = "4000000000000341"  # attaches, then the charge is declined


def card_id(number: str) -> str:
    """What checkout.js posts: the card id of a token that Stripe.js created
    from the card form (stripe.createToken, the same request localstripe's
    stand-in sends)."""
    token = stripe_client().v1.tokens.create(
        params={"card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}}
    )
    return token.card.id


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def reserve(buyer, listing) -> Transaction:
    return transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction


def expire(txn: Transaction) -> None:
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=5)
    )


# --- Buy -------------------------------------------------------------------------


def test_buy_reserves_the_listing_and_opens_the_checkout(client, buyer, listing):
    client.force_login(buyer)

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    txn = Transaction.objects.get(listing=listing)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:checkout", args=[txn.pk])
    assert (txn.buyer, txn.status) == (buyer, Transaction.Status.PENDING_PAYMENT)
    assert txn.payment_id.startswith("pi_")  # a real PaymentIntent at localstripe
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PENDING
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.RESERVED


def test_buy_asks_to_log_in_first_and_comes_back_to_the_listing(client, listing, db_snapshot):
    before = db_snapshot()

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    assert response.status_code == 302
    listing_url = reverse("listings:detail", args=[listing.pk])
    assert response["Location"] == f"{reverse('account_login')}?next={listing_url}"
    assert db_snapshot() == before


def test_buy_only_answers_post(client, buyer, listing):
    client.force_login(buyer)

    assert client.get(reverse("payments:buy", args=[listing.pk])).status_code == 405


def test_buy_of_an_unknown_listing_is_404(client, buyer):
    client.force_login(buyer)

    assert client.post(reverse("payments:buy", args=[987654])).status_code == 404


def test_second_buyer_is_told_someone_else_is_buying_it(client, buyer, listing, db_snapshot):
    # given: another fan reserved the ticket first
    reserve(UserFactory(), listing)
    client.force_login(buyer)
    before = db_snapshot()

    # when
    response = client.post(reverse("payments:buy", args=[listing.pk]))

    # then: back to the event's other tickets (this one is no longer on sale),
    # with the reason; nothing changed
    assert response["Location"] == reverse("events:detail", args=[listing.ticket.event_id])
    assert any("Someone else is buying or bought this ticket" in m for m in page_messages(response))
    assert db_snapshot() == before


def test_buyer_who_already_reserved_it_goes_back_to_their_checkout(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    assert response["Location"] == reverse("payments:checkout", args=[txn.pk])
    assert Transaction.objects.filter(listing=listing).count() == 1


def test_reserving_again_after_the_checkout_expired_starts_a_new_reservation(
    client, buyer, listing
):
    # given: the buyer's reservation ran out; the periodic job has not released it yet
    old = reserve(buyer, listing)
    expire(old)
    client.force_login(buyer)

    # when: "Reserve it again"
    response = client.post(reverse("payments:buy", args=[listing.pk]))

    # then
    new = Transaction.objects.get(listing=listing, status=Transaction.Status.PENDING_PAYMENT)
    assert new.pk != old.pk
    assert response["Location"] == reverse("payments:checkout", args=[new.pk])
    assert Transaction.objects.get(pk=old.pk).status == Transaction.Status.CANCELLED


def test_seller_cannot_buy_their_own_listing(client, seller, listing, db_snapshot):
    client.force_login(seller)
    before = db_snapshot()

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    assert response["Location"] == reverse("listings:detail", args=[listing.pk])
    assert any("your own listing" in m for m in page_messages(response))
    assert db_snapshot() == before


def test_buying_a_listing_whose_event_started_says_it_expired(client, buyer, db_snapshot):
    event = past_event(hours_ago=2)
    listing = ListingFactory(ticket=TicketFactory(event=event, status="listed"))
    client.force_login(buyer)
    before = db_snapshot()

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    assert response["Location"] == reverse("listings:detail", args=[listing.pk])
    assert any("This listing has expired" in m for m in page_messages(response))
    assert db_snapshot() == before


@override_settings(MAX_TICKETS_PER_EVENT=1)
def test_buying_over_the_limit_per_event_is_refused(client, buyer, event, db_snapshot):
    TransactionFactory(buyer=buyer, listing__ticket__event=event)
    listing = ListingFactory(ticket=TicketFactory(event=event, status="listed"))
    client.force_login(buyer)
    before = db_snapshot()

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    assert response["Location"] == reverse("listings:detail", args=[listing.pk])
    assert any("at most 1 ticket for one event" in m for m in page_messages(response))
    assert db_snapshot() == before


def test_buying_while_stripe_is_down_releases_the_ticket_and_says_so(client, buyer, listing):
    client.force_login(buyer)

    with override_settings(STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}"):
        response = client.post(reverse("payments:buy", args=[listing.pk]))

    assert response["Location"] == reverse("listings:detail", args=[listing.pk])
    assert any("Payments are unavailable right now" in m for m in page_messages(response))
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    assert not Transaction.objects.exclude(status=Transaction.Status.CANCELLED).exists()


# --- Checkout --------------------------------------------------------------------


def test_checkout_shows_the_breakdown_the_countdown_and_the_card_form(
    client, buyer, listing, django_assert_max_num_queries
):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    with django_assert_max_num_queries(4):
        response = client.get(reverse("payments:checkout", args=[txn.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    # The fee breakdown of 55.00 (face value 50.00): 8% fee included, all-in.
    for amount in ("€50.00", "€55.00", "€4.40", "€50.60"):
        assert amount in html
    assert "all-in" in html
    # The countdown, for checkout.js and for screen readers.
    assert 'id="countdown" aria-live="polite"' in html
    deadline = int(re.search(r'data-deadline-ms="(\d+)"', html).group(1))
    assert deadline == int(txn.reserved_until.timestamp() * 1000)
    assert re.search(r"data-countdown-time>1[45]:\d\d<", html)
    # The card form: Stripe.js from localstripe, the key in a data- attribute.
    assert 'data-stripe-key="pk_test_encore_localstripe"' in html
    assert f'<script src="{listing_stripe_js()}"></script>' in html
    assert "/static/js/checkout.js" in html
    assert re.search(r"<button[^>]*>Pay</button>", html)
    assert 'name="payment_method_id"' in html
    # No inline script: every <script> has a src.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def listing_stripe_js() -> str:
    from django.conf import settings

    return f"{settings.STRIPE_API_BASE}/js.stripe.com/v3/"


@override_settings(STRIPE_JS_URL="https://js.stripe.com/v3/")
def test_checkout_loads_real_stripe_js_when_configured(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    html = client.get(reverse("payments:checkout", args=[txn.pk])).content.decode()

    assert '<script src="https://js.stripe.com/v3/"></script>' in html


def test_localstripe_serves_the_stand_in_stripe_js_the_page_loads(client, buyer, listing):
    import urllib.request

    with urllib.request.urlopen(listing_stripe_js(), timeout=5) as answer:  # noqa: S310
        script = answer.read().decode()

    assert "createToken" in script


@pytest.mark.parametrize("who", ["stranger", "seller", "staff"])
def test_checkout_is_404_for_anyone_but_the_buyer(client, who, buyer, seller, listing):
    txn = reserve(buyer, listing)
    client.force_login({"stranger": UserFactory(), "seller": seller, "staff": StaffFactory()}[who])

    assert client.get(reverse("payments:checkout", args=[txn.pk])).status_code == 404


def test_checkout_needs_a_login(client, buyer, listing):
    txn = reserve(buyer, listing)

    response = client.get(reverse("payments:checkout", args=[txn.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_checkout_of_a_paid_purchase_goes_to_its_page(client, buyer):
    txn = TransactionFactory(buyer=buyer)
    client.force_login(buyer)

    response = client.get(reverse("payments:checkout", args=[txn.pk]))

    assert response["Location"] == reverse("payments:transaction", args=[txn.pk])


def test_checkout_after_the_reservation_expired_says_the_ticket_is_back_on_sale(
    client, buyer, listing
):
    txn = reserve(buyer, listing)
    expire(txn)
    client.force_login(buyer)

    response = client.get(reverse("payments:checkout", args=[txn.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your reservation expired" in html
    assert "the ticket went back on sale" in html
    assert 'id="payment-form"' not in html
    assert "checkout.js" not in html


def test_checkout_of_a_reservation_the_job_released_explains_it(client, buyer, listing):
    from payments.services import reservations_release_expired

    txn = reserve(buyer, listing)
    expire(txn)
    reservations_release_expired()
    client.force_login(buyer)

    response = client.get(reverse("payments:checkout", args=[txn.pk]), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[0][0] == reverse("payments:transaction", args=[txn.pk])
    assert "This reservation has ended: the ticket went back on sale." in html
    assert "The reservation expired and the ticket went back on sale." in html  # timeline


# --- Pay -------------------------------------------------------------------------


def test_paying_with_a_good_card_pays_and_opens_the_success_page(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    response = client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": CARD_OK})

    assert response["Location"] == reverse("payments:checkout-done", args=[txn.pk])
    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("paid", "succeeded")
    assert Ticket.objects.get(pk=listing.ticket_id).owner == buyer
    done = client.get(response["Location"]).content.decode()
    assert "Payment received" in done
    assert reverse("tickets:file", args=[listing.ticket_id]) in done
    assert "48 hours after the event" in done


def test_paying_with_the_card_id_stripe_js_made_pays(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    response = client.post(
        reverse("payments:pay", args=[txn.pk]), {"payment_method_id": card_id(VISA)}
    )

    assert response["Location"] == reverse("payments:checkout-done", args=[txn.pk])
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID


@pytest.mark.parametrize("card", ["test payment method", "card from the form"])
def test_a_declined_card_shows_the_reason_and_puts_the_ticket_back_on_sale(
    client, card, buyer, listing, django_capture_on_commit_callbacks
):
    txn = reserve(buyer, listing)
    client.force_login(buyer)
    declined = CARD_DECLINED if card == "test payment method" else card_id(VISA_DECLINED)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:pay", args=[txn.pk]), {"payment_method_id": declined}
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"Your card was declined: [a-z][^<]+\.", html)
    assert "ticket is back on sale" in html
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("cancelled", "failed")
    assert Ticket.objects.get(pk=listing.ticket_id).owner_id == listing.seller_id


def test_paying_without_a_card_is_refused_and_changes_nothing(client, buyer, listing, db_snapshot):
    txn = reserve(buyer, listing)
    client.force_login(buyer)
    before = db_snapshot()

    response = client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": ""})

    assert response.status_code == 200
    assert "Enter your card details first." in response.content.decode()
    assert db_snapshot() == before


def test_paying_after_the_reservation_expired_charges_nothing(client, buyer, listing):
    txn = reserve(buyer, listing)
    expire(txn)
    client.force_login(buyer)

    response = client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": CARD_OK})

    assert response.status_code == 200
    assert "Your reservation expired" in response.content.decode()
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PENDING_PAYMENT
    intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
    assert intent.status == "requires_payment_method"


def test_paying_someone_elses_reservation_is_404(client, buyer, listing, db_snapshot):
    txn = reserve(buyer, listing)
    client.force_login(UserFactory())
    before = db_snapshot()

    response = client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": CARD_OK})

    assert response.status_code == 404
    assert db_snapshot() == before


def test_paying_twice_goes_to_the_success_page(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)
    url = reverse("payments:pay", args=[txn.pk])
    client.post(url, {"payment_method_id": CARD_OK})

    response = client.post(url, {"payment_method_id": CARD_OK})

    assert response["Location"] == reverse("payments:checkout-done", args=[txn.pk])


def test_paying_a_released_reservation_charges_nothing_and_says_so(
    client, buyer, listing, django_capture_on_commit_callbacks
):
    txn = reserve(buyer, listing)
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": CARD_DECLINED})

    response = client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": ""})

    assert response["Location"] == reverse("payments:transaction", args=[txn.pk])
    assert "no longer waiting for payment" in " ".join(page_messages(response))
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.CANCELLED


def test_paying_while_stripe_is_down_keeps_the_reservation(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    with override_settings(STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}"):
        response = client.post(
            reverse("payments:pay", args=[txn.pk]), {"payment_method_id": CARD_OK}
        )

    assert response.status_code == 200
    assert "Nothing was charged" in response.content.decode()
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PENDING_PAYMENT


def test_pay_needs_a_login(client, buyer, listing):
    txn = reserve(buyer, listing)

    response = client.post(reverse("payments:pay", args=[txn.pk]), {"payment_method_id": CARD_OK})

    assert response.status_code == 302
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PENDING_PAYMENT


# --- Done ------------------------------------------------------------------------


def test_done_page_looks_up_a_payment_stripe_has_taken_but_not_yet_reported(client, buyer, listing):
    # given: Stripe took the money; neither the pay view nor the webhook told us yet
    txn = reserve(buyer, listing)
    gateway.payment_intent_confirm(
        transaction_id=txn.pk,
        attempt=1,
        payment_intent_id=txn.payment_id,
        payment_method_id=CARD_OK,
    )
    client.force_login(buyer)

    # when
    response = client.get(reverse("payments:checkout-done", args=[txn.pk]))

    # then
    assert response.status_code == 200
    assert "Payment received" in response.content.decode()
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID


def test_done_page_of_an_unpaid_reservation_says_it_is_processing(client, buyer, listing):
    txn = reserve(buyer, listing)
    client.force_login(buyer)

    response = client.get(reverse("payments:checkout-done", args=[txn.pk]))

    assert response.status_code == 200
    assert "Your payment is processing" in response.content.decode()


@pytest.mark.parametrize("who", ["stranger", "seller"])
def test_done_page_is_404_for_anyone_but_the_buyer(client, who, buyer, seller):
    txn = TransactionFactory(buyer=buyer)
    client.force_login(UserFactory() if who == "stranger" else txn.seller)

    assert client.get(reverse("payments:checkout-done", args=[txn.pk])).status_code == 404


def test_done_page_needs_a_login(client, buyer):
    txn = TransactionFactory(buyer=buyer)

    response = client.get(reverse("payments:checkout-done", args=[txn.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_lapsed_reservation_of_another_buyer_does_not_block_the_buy_button(
    client, buyer, listing
):
    first = reserve(UserFactory(), listing)
    expire(first)
    client.force_login(buyer)

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    mine = Transaction.objects.get(buyer=buyer)
    assert response["Location"] == reverse("payments:checkout", args=[mine.pk])
    assert Transaction.objects.get(pk=first.pk).status == Transaction.Status.CANCELLED
