"""The Celery broker down while people buy: sales go on, no email is lost.

Every email Encore sends (payment received, ticket delivered, ticket sold...)
is first written to the outbox in the same database transaction as the sale;
the task that sends it is published after the commit. With the broker down,
publishing fails at once (no retries that hold the buyer's request) and the
sale answers as usual; the emails wait in the outbox, READY. Once the broker
is back, the periodic job `emails_send_ready` (celery beat, every minute)
hands each email to a worker, which sends it exactly once; and the web
processes publish again on their own, without a restart. Operators see
"Could not enqueue" errors (robust on-commit callbacks) in the web logs
meanwhile, and emails READY for more than a minute in the admin's outbox.

The broker here is a port the test switches: closed (down), then forwarding
to the real Redis (back), for a gunicorn process and real worker processes.
"""

import json
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import stripe
from django.conf import settings
from django.utils import timezone

from marketplace.testing import wait_for
from marketplace.tests.workers import celery_on_broker
from messaging.models import Email
from messaging.tests.backends import sent_recipients
from payments import gateway

from .network import CLOSED, FORWARD, FaultyPort
from .server import bearer, listing_on_sale, purchase, timed

pytestmark = pytest.mark.django_db(transaction=True)

SALES = 3
EMAILS_PER_SALE = 3  # the buyer's payment and delivery emails, the seller's sale email
SLOWER_AT_MOST = 1.0
# After a failed publish, the web process skips the broker this long (a hung
# broker then costs one request a wait, not each request).
RETRY_SECONDS = 1.0


@pytest.fixture
def broker(broker_url):
    """The broker's address through a port the test opens and closes."""
    parts = urlsplit(broker_url)
    port = FaultyPort(target_port=parts.port or 6379, mode=CLOSED)
    port.broker_url = port.redis_url(int(parts.path.strip("/") or 0))
    yield port
    port.close()


def _recipients(outbox) -> Counter:
    """How many emails each address got."""
    return Counter(sent_recipients(outbox))


def test_sales_go_on_and_every_email_is_sent_once_when_the_broker_is_back(
    serve, broker, broker_url, worker_processes
):
    from accounts.tests.factories import UserFactory

    queue = worker_processes.queue
    server = serve(
        "broker-down",
        CELERY_BROKER_URL=broker.broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        BROKER_RETRY_SECONDS=RETRY_SECONDS,
    )
    sales = [(UserFactory(), listing_on_sale()) for _ in range(SALES + 1)]
    # the first requests warm the process up
    assert server.get("/").status_code == 200
    assert server.get("/api/v1/users/profile", headers=bearer(sales[0][0])).status_code == 200

    # when people buy while the broker is down
    timings = []
    for buyer, listing in sales[:SALES]:
        answer, seconds = timed(lambda b=buyer, ls=listing: purchase(server, b, ls.pk))
        assert answer.status_code == 201, answer.text
        assert answer.json()["data"]["status"] == "paid"
        timings.append(seconds)

    # then every email waits in the outbox, none lost, none sent
    emails = Email.objects.all()
    assert emails.count() == SALES * EMAILS_PER_SALE
    assert set(emails.values_list("status", flat=True)) == {Email.Status.READY}
    # and the web log says so, one line per email
    assert server.log().count("enqueue messaging.tasks.email_send") == len(emails)

    # when the broker is back at the same address (and the web process's
    # pause after the last failure is over)
    broker.set(FORWARD)
    worker_processes("worker")
    time.sleep(RETRY_SECONDS)

    # then the web process publishes again by itself: the next sale's emails
    # go straight to the worker, and that sale took no longer than the others
    buyer, listing = sales[SALES]
    answer, seconds_up = timed(lambda: purchase(server, buyer, listing.pk))
    assert answer.status_code == 201, answer.text
    assert max(timings) <= seconds_up + SLOWER_AT_MOST, (timings, seconds_up)
    fresh = Email.objects.filter(to__in=(buyer.email, listing.seller.email))
    wait_for(
        lambda: set(fresh.values_list("status", flat=True)) == {Email.Status.SENT},
        what="the emails of the sale made with the broker back",
    )

    # when celery beat's outbox sweep runs, a minute after the emails were
    # written (twice, as if two beats were running)
    Email.objects.filter(status=Email.Status.READY).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    with celery_on_broker(broker_url) as app:
        for _ in range(2):
            app.send_task("messaging.tasks.emails_send_ready", queue=queue)

    # then every email is sent, each exactly once
    wait_for(
        lambda: not Email.objects.exclude(status=Email.Status.SENT).exists(),
        timeout=30,
        what="the outbox to be sent",
    )
    assert set(Email.objects.values_list("attempts", flat=True)) == {1}
    expected = Counter(Email.objects.values_list("to", flat=True))
    assert len(expected) == 2 * (SALES + 1)
    assert _recipients(worker_processes.outbox) == expected


def _signed_webhook(server, event: dict):
    """POST `event` to the server's Stripe webhook, signed as Stripe signs it."""
    body = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(
        body, settings.STRIPE_WEBHOOK_SECRET
    )
    return server.post(
        "/payments/stripe/webhook/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )


def test_a_late_payment_is_refunded_when_its_refund_task_was_lost_with_the_broker(
    serve, broker, broker_url, worker_processes
):
    from accounts.tests.factories import UserFactory
    from payments.models import Transaction
    from payments.services import transaction_purchase, transaction_release

    queue = worker_processes.queue
    server = serve(
        "broker-down-webhook",
        CELERY_BROKER_URL=broker.broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    # given a reservation released while the broker was down (its PaymentIntent
    # stays open: the task cancelling it was lost)
    buyer, listing = UserFactory(), listing_on_sale()
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    with celery_on_broker(broker.broker_url):
        assert transaction_release(transaction_id=txn.pk, reason="reservation_expired")
    # and the buyer's checkout page, left open, pays it after all
    client = gateway.stripe_client()
    client.v1.payment_intents.update(txn.payment_id, params={"payment_method": "pm_card_visa"})
    intent = client.v1.payment_intents.confirm(txn.payment_id)
    assert intent.status == "succeeded"

    # when Stripe's webhook reports it, the broker still down
    event = {
        "id": f"evt_late_{txn.pk}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": intent.to_dict()},
    }
    answer = _signed_webhook(server, event)

    # then the webhook is taken (Stripe will not send it again), the payment
    # recorded on the cancelled sale, and its refund task could not be enqueued
    assert answer.status_code == 200, answer.text
    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("cancelled", "succeeded")
    assert "Could not enqueue payments.tasks.payment_refund_late" in server.log()
    assert client.v1.refunds.list(params={"payment_intent": txn.payment_id}).data == []

    # when the broker is back and celery beat's late-payments job runs
    broker.set(FORWARD)
    worker_processes("worker")
    Transaction.objects.filter(pk=txn.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    with celery_on_broker(broker_url) as app:
        app.send_task("payments.tasks.late_payments_refund", queue=queue)

    # then the buyer has their money back, once, and is told by email
    wait_for(
        lambda: Transaction.objects.get(pk=txn.pk).payment_status == "refunded",
        timeout=30,
        what="the late payment to be refunded",
    )
    refunds = client.v1.refunds.list(params={"payment_intent": txn.payment_id}).data
    assert [refund.amount for refund in refunds] == [5500]
    wait_for(
        lambda: _recipients(worker_processes.outbox)[buyer.email] == 1,
        what="the refund email",
    )
