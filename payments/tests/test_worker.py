"""The payment jobs run by a real Celery worker through the Redis broker."""

import datetime

import pytest
from django.utils import timezone

from marketplace.testing import wait_for
from payments import gateway, tasks
from payments.models import Transaction
from payments.services import transaction_purchase

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_releases_an_expired_reservation_and_cancels_its_payment_intent(
    in_thread_worker, buyer, listing
):
    # given a reservation whose time ran out
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    # when beat's job reaches the worker
    tasks.reservations_release_expired.delay()

    # then the worker released it, and the follow-up task it enqueued on
    # commit cancelled the PaymentIntent at Stripe
    wait_for(
        lambda: Transaction.objects.get(pk=txn.pk).status == "cancelled",
        what="the release",
    )
    wait_for(
        lambda: (
            gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).status == "canceled"
        ),
        what="the PaymentIntent to be cancelled",
    )
    listing.refresh_from_db()
    assert listing.status == "active"
