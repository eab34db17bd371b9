"""The request id of a purchase on its audit rows, on the API and the site alike,
and carried by the Celery tasks the request enqueued: the worker's log lines
and the audit rows its task writes name the request that enqueued it."""

import contextlib
import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.celery import app as celery_app
from marketplace.core.models import AuditLog
from marketplace.testing import wait_for
from marketplace.tests.workers import celery_on_broker
from payments import tasks
from payments.models import Payout, Transaction
from payments.services import transaction_purchase
from payments.tests.helpers import CARD_OK
from payments.tests.stripe_helpers import paid_purchase, seller_onboarded

PURCHASE = "/api/v1/transactions/purchase"
RESERVATION_ROWS = {"transaction.created", "listing.reserved", "ticket.reserved"}


@contextlib.contextmanager
def default_queue(name: str):
    """Tasks enqueued without a queue go to `name` meanwhile (a worker process's)."""
    saved = celery_app.conf.task_default_queue

    def forget():
        # Celery builds its queues, default queue and router from the
        # configuration once; made again, they follow it.
        for name in ("queues", "default_queue", "router"):
            celery_app.amqp.__dict__.pop(name, None)

    forget()
    celery_app.conf.task_default_queue = name
    try:
        yield
    finally:
        celery_app.conf.task_default_queue = saved
        forget()


def rows_of(request_id: str) -> set[str]:
    return set(AuditLog.objects.filter(request_id=request_id).values_list("action", flat=True))


@pytest.mark.django_db
def test_api_purchase_writes_its_audit_rows_with_the_request_id(api_as, buyer, listing):
    response = api_as(buyer).post(
        PURCHASE,
        {"listing_id": listing.pk, "payment_method_id": CARD_OK},
        HTTP_X_REQUEST_ID="partner-req-000001",
    )

    assert response.status_code == 201, response.json()
    assert response["X-Request-ID"] == "partner-req-000001"
    # The reservation and the payment, every row of the purchase.
    assert rows_of("partner-req-000001") == RESERVATION_ROWS | {
        "transaction.paid",
        "listing.sold",
        "ticket.sold",
        "payout.held",
    }


@pytest.mark.django_db
def test_site_buy_writes_its_audit_rows_with_the_id_it_answers(client, buyer, listing):
    client.force_login(buyer)

    response = client.post(reverse("payments:buy", args=[listing.pk]))

    # No id came from a proxy: the one made here is answered and recorded.
    request_id = response["X-Request-ID"]
    assert response.status_code == 302
    assert rows_of(request_id) == RESERVATION_ROWS
    assert not AuditLog.objects.filter(request_id=None, action__in=RESERVATION_ROWS).exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_run_inside_the_request_keeps_its_id(api_as, buyer, seller, listing):
    # The embedded run (and these tests) run tasks eagerly, inside the request:
    # the payout task runs when the confirmation commits.
    seller_onboarded(seller)
    txn = paid_purchase(buyer, listing)

    response = api_as(buyer).post(
        f"/api/v1/transactions/{txn.pk}/confirm", HTTP_X_REQUEST_ID="confirm-eager-0001"
    )

    assert response.status_code == 200, response.json()
    assert {"transaction.confirmed", "payout.paid"} <= rows_of("confirm-eager-0001")


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_enqueued_task_under_the_id_of_the_request(
    api_as, buyer, seller, listing, worker_processes, broker_url
):
    # given a paid purchase whose seller can receive money, and a real worker
    # process logging JSON lines
    seller_onboarded(seller)
    txn = paid_purchase(buyer, listing)
    worker = worker_processes("payouts", LOG_FORMAT="json")

    # when the buyer confirms receipt through the API: the request enqueues the
    # seller's payout through the broker to that worker
    with celery_on_broker(broker_url), default_queue(worker_processes.queue):
        response = api_as(buyer).post(
            f"/api/v1/transactions/{txn.pk}/confirm", HTTP_X_REQUEST_ID="confirm-req-00001"
        )
    assert response.status_code == 200, response.json()
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED

    # then the worker paid it, and its audit row and log lines name the request
    wait_for(
        lambda: Payout.objects.get(transaction=txn).status == Payout.Status.PAID,
        what="the worker to pay the seller",
    )
    paid_row = AuditLog.objects.get(action="payout.paid")
    assert paid_row.request_id == "confirm-req-00001"
    assert {"transaction.confirmed", "payout.paid"} <= rows_of("confirm-req-00001")

    def task_lines():
        text = (worker_processes.logs / "payouts.log").read_text()
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        return [line for line in lines if line["request_id"] == "confirm-req-00001"]

    wait_for(
        lambda: any("succeeded" in line["message"] for line in task_lines()),
        what="the worker's log line of the task",
    )
    assert all(line["logger"].startswith("celery") for line in task_lines())
    assert any("payments.tasks.payout_send" in line["message"] for line in task_lines())
    worker.terminate()


@pytest.mark.django_db(transaction=True)
def test_a_task_no_request_enqueued_gets_an_id_of_its_own(buyer, listing, in_thread_worker):
    # given a reservation whose time ran out (made outside any request)
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    # when celery beat's job reaches the worker (nothing bound an id here)
    tasks.reservations_release_expired.delay()

    # then the rows the job wrote share one id of the job's own
    wait_for(lambda: AuditLog.objects.filter(action="ticket.released").exists(), what="the release")
    released = AuditLog.objects.filter(
        action__in=("transaction.cancelled", "listing.released", "ticket.released")
    )
    [request_id] = set(released.values_list("request_id", flat=True))
    assert request_id and len(request_id) == 32
    assert set(
        AuditLog.objects.filter(action="transaction.created").values_list("request_id", flat=True)
    ) == {None}
