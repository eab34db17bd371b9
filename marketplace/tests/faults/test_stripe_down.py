"""Stripe unreachable or slow: a purchase fails cleanly and fast, the ticket
stays on sale, and a payment Stripe took anyway is given back.

When Stripe refuses connections, or takes longer than STRIPE_TIMEOUT_SECONDS
to answer, the buyer is told at once (API: 503 SERVICE_UNAVAILABLE; site: a
message on the listing page) and the ticket is back on sale before the answer
leaves: no transaction stays pending_payment and nothing waits for the
reservation job. Everything else (browsing, logging in, selling) works.

The tail of a timeout: Stripe may have charged the card although its answer
never reached us. Its webhook `payment_intent.succeeded` then finds the
transaction cancelled: the money is refunded and the buyer told, and the
ticket is never handed over, even less so when someone else has bought it
meanwhile. If the webhook arrives while the purchase is still waiting for
Stripe, the purchase answers with the paid transaction instead of an error.

Operators see "payment" down in /health and "Stripe unavailable during
payment_intent_create" in the logs; purchases work again as soon as Stripe
answers, without a restart.

Stripe here is this module's own localstripe, behind a port the test switches
(closed, silent, swallowing its answers); its webhooks reach the gunicorn
process through a gate the test holds and opens.
"""

import threading
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from marketplace.devtools.localstripe import localstripe_register_webhook, localstripe_start
from marketplace.testing import free_port, wait_for
from payments import gateway

from .network import CLOSED, FORWARD, PAUSED, SILENT, SWALLOW_WRITES, FaultyPort
from .server import csrf_token, listing_on_sale, purchase, site_login, timed

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 2.0  # the server's STRIPE_TIMEOUT_SECONDS
MARGIN = 3.0  # the rest of the request, on a busy machine
STRIPE_DOWN_MESSAGE = "Payments are unavailable right now"


@pytest.fixture(scope="module")
def stripe_behind_port():
    """(localstripe's URL, the port in front of it): Stripe for this module only,
    so the webhooks it sends go to this module's server alone."""
    port = free_port()
    process = localstripe_start(port=port, from_scratch=True)
    front = FaultyPort(target_port=port, mode=FORWARD)
    yield f"http://127.0.0.1:{port}", front
    front.close()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(serve, stripe_behind_port):
    _, front = stripe_behind_port
    # A new connection per Stripe call: the port's fault applies to the
    # connections it accepts after the switch (network.py).
    return serve(
        "stripe-faults",
        STRIPE_API_BASE=front.url,
        STRIPE_TIMEOUT_SECONDS=TIMEOUT,
        STRIPE_KEEP_ALIVE="false",
    )


@pytest.fixture(scope="module")
def patient_server(serve, stripe_behind_port):
    """The same site, waiting long for Stripe: a test decides when its call ends."""
    _, front = stripe_behind_port
    return serve(
        "stripe-patient",
        STRIPE_API_BASE=front.url,
        STRIPE_TIMEOUT_SECONDS=60,
        STRIPE_KEEP_ALIVE="false",
    )


@pytest.fixture(scope="module")
def webhook_gate(server, stripe_behind_port):
    """Stripe's webhook deliveries, through a port the test pauses and resumes."""
    stripe_url, _ = stripe_behind_port
    gate = FaultyPort(target_port=urlsplit(server.url).port, mode=FORWARD)
    localstripe_register_webhook(
        base_url=stripe_url,
        url=f"{gate.url}/payments/stripe/webhook/",
        secret=settings.STRIPE_WEBHOOK_SECRET,
    )
    yield gate
    gate.close()


@pytest.fixture
def stripe(stripe_behind_port, webhook_gate):
    """The port in front of Stripe, working again after each test."""
    _, front = stripe_behind_port
    yield front
    front.set(FORWARD)
    webhook_gate.resume()


def _nothing_left_pending(listing):
    from listings.models import Listing
    from payments.models import Transaction
    from tickets.models import Ticket

    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.LISTED
    assert not Transaction.objects.filter(status=Transaction.Status.PENDING_PAYMENT).exists()


def _api_purchase_fails_in_time(server, listing):
    from accounts.tests.factories import UserFactory

    answer, seconds = timed(lambda: purchase(server, UserFactory(), listing.pk))

    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert seconds < TIMEOUT + MARGIN, seconds
    return seconds


def _site_purchase_fails_in_time(server, listing):
    from accounts.tests.factories import UserFactory

    browser = site_login(server, UserFactory().email)
    page = server.get(f"/listings/{listing.pk}/", browser)
    answer, seconds = timed(
        lambda: server.post(
            f"/listings/{listing.pk}/buy/",
            browser,
            data={"csrfmiddlewaretoken": csrf_token(page.text)},
            headers={"Referer": page.url},
        )
    )

    # back on the listing page, which says what happened
    assert answer.status_code == 200
    assert answer.url.endswith(f"/listings/{listing.pk}/")
    assert STRIPE_DOWN_MESSAGE in answer.text
    assert seconds < TIMEOUT + MARGIN, seconds


@pytest.mark.parametrize("mode", [CLOSED, SILENT])
def test_purchase_fails_fast_and_the_ticket_stays_on_sale(server, stripe, mode):
    listing = listing_on_sale()
    stripe.set(mode)

    seconds = _api_purchase_fails_in_time(server, listing)
    _nothing_left_pending(listing)
    _site_purchase_fails_in_time(server, listing)
    _nothing_left_pending(listing)

    if mode == SILENT:
        # it was Stripe's silence the buyer waited for, no more
        assert seconds >= TIMEOUT
    health = server.get("/health")
    assert (health.status_code, health.json()["services"]["payment"]) == (503, "down")
    assert "Stripe unavailable during payment_intent_create" in server.log()

    # and once Stripe answers again, the same ticket sells
    stripe.set(FORWARD)
    from accounts.tests.factories import UserFactory

    answer = purchase(server, UserFactory(), listing.pk)
    assert (answer.status_code, answer.json()["data"]["status"]) == (201, "paid")


def _refunds(stripe_url: str, payment_intent_id: str) -> list:
    client = gateway.stripe_client(api_base=stripe_url)
    refunds = client.v1.refunds.list(params={"payment_intent": payment_intent_id})
    return [refund.to_dict() for refund in refunds.data]


def _late_intent_id(transaction_id: int) -> str:
    """The PaymentIntent of a transaction, from the webhook event Encore recorded
    (the purchase never heard Stripe's answer)."""
    from payments.models import StripeEvent

    for event in StripeEvent.objects.filter(type="payment_intent.succeeded"):
        intent = event.payload["data"]["object"]
        if intent["metadata"].get("transaction_id") == str(transaction_id):
            return intent["id"]
    raise AssertionError(f"No payment_intent.succeeded for transaction {transaction_id}.")


def test_a_charge_stripe_took_after_the_timeout_is_refunded_and_the_resold_ticket_stays(
    server, stripe, stripe_behind_port, webhook_gate
):
    from accounts.tests.factories import UserFactory
    from listings.models import Listing
    from messaging.models import Notification
    from payments.models import Transaction
    from tickets.models import Ticket

    stripe_url, _ = stripe_behind_port
    listing = listing_on_sale()
    first, second = UserFactory(), UserFactory()
    # given Stripe that charges the card but whose answer is lost (the card's
    # lookup before it is answered), and its webhooks held up on the way
    stripe.set(SWALLOW_WRITES)
    webhook_gate.set(PAUSED)

    # when the first buyer's purchase times out
    answer, seconds = timed(lambda: purchase(server, first, listing.pk))

    # then they are told to try again, in time, and the ticket is on sale
    assert answer.status_code == 503, answer.text
    assert seconds < TIMEOUT + MARGIN, seconds
    _nothing_left_pending(listing)
    lost = Transaction.objects.get(buyer=first)
    assert (lost.status, lost.payment_id) == (Transaction.Status.CANCELLED, "")

    # when someone else buys the ticket, Stripe answering again
    stripe.set(FORWARD)
    answer = purchase(server, second, listing.pk)
    assert (answer.status_code, answer.json()["data"]["status"]) == (201, "paid")

    # and then Stripe's webhooks arrive: the first buyer's charge succeeded
    webhook_gate.resume()

    # then the first buyer's money goes back, and the ticket stays the second's
    wait_for(
        lambda: Transaction.objects.get(pk=lost.pk).payment_status == "refunded",
        what="the late payment to be refunded",
    )
    intent_id = _late_intent_id(lost.pk)
    refunds = _refunds(stripe_url, intent_id)
    assert [(r["status"], r["amount"]) for r in refunds] == [("succeeded", 5500)]
    lost.refresh_from_db()
    assert (lost.status, lost.payment_id) == (Transaction.Status.CANCELLED, intent_id)
    ticket = Ticket.objects.get(pk=listing.ticket_id)
    assert (ticket.owner, ticket.status) == (second, Ticket.Status.SOLD)
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.SOLD
    assert Transaction.objects.get(buyer=second).status == Transaction.Status.PAID
    assert first.notifications.filter(type=Notification.Type.REFUND).count() == 1
    assert not first.notifications.filter(type=Notification.Type.DELIVERY).exists()


def test_a_webhook_that_arrives_before_the_timeout_makes_the_purchase_succeed(
    patient_server, stripe, webhook_gate
):
    from accounts.tests.factories import UserFactory
    from payments.models import Transaction
    from tickets.models import Ticket

    listing = listing_on_sale()
    buyer = UserFactory()
    # given Stripe that charges the card, its answer lost on the way back
    stripe.set(SWALLOW_WRITES)
    answers = []
    buying = threading.Thread(
        target=lambda: answers.append(purchase(patient_server, buyer, listing.pk))
    )

    # when Stripe's webhook says the payment succeeded while the purchase
    # still waits, and only then the purchase's connection to Stripe breaks
    buying.start()
    wait_for(
        lambda: Transaction.objects.filter(buyer=buyer, status="paid").exists(),
        what="the webhook to pay the transaction",
    )
    stripe.cut()
    buying.join(timeout=30)

    # then the buyer is told the truth: paid, the ticket is theirs
    (answer,) = answers
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["status"] == "paid"
    assert Ticket.objects.get(pk=listing.ticket_id).owner == buyer
