"""A purchase and the event's cancellation at the same moment (ARCHITECTURE.md,
rule 12). The purchase reserves the listing inside its database transaction;
the cancellation's job, on another connection, reads the listing as still on
sale, waits for the purchase's row lock to withdraw it, finds it reserved, and
runs another batch, which releases the reservation the purchase committed
meanwhile. The job finishes only when nothing is left to settle, so no
reservation outlives the cancellation."""

import contextlib
import threading

import pytest
from django.db import connection, connections

from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from events.services import event_update
from marketplace.core.errors import DomainError
from marketplace.testing import wait_for
from payments.models import EventCancellation, Transaction
from payments.services import purchase, transaction_purchase

pytestmark = pytest.mark.django_db(transaction=True)


def _waits_for_a_lock(backend_pids: set[int]) -> bool:
    """Whether one of the given PostgreSQL sessions waits for a row or table lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
            [list(backend_pids)],
        )
        return cursor.fetchone()[0] > 0


def _purchase_with_a_cancellation_in_the_middle(monkeypatch, *, event, listing):
    """The buyer's purchase; once it has reserved the listing, and before it
    commits, staff cancel the event on another connection (the cancellation's
    job runs there too, Celery being eager). The purchase goes on once the
    cancellation has finished or waits for a lock this purchase holds."""
    staff = StaffFactory()
    cancelling = {"pids": set(), "done": threading.Event(), "error": None}

    def cancel():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                cancelling["pids"].add(cursor.fetchone()[0])
            event_update(actor=staff, event=Event.objects.get(pk=event.pk), status="cancelled")
        except Exception as exc:  # reported to the test below
            cancelling["error"] = exc
        finally:
            connections.close_all()
            cancelling["done"].set()

    thread = threading.Thread(target=cancel)
    real_reserve = purchase._listing_reserve

    def reserve_then_cancel(**kwargs):
        reserved = real_reserve(**kwargs)
        thread.start()
        wait_for(
            lambda: (
                cancelling["done"].is_set()
                or (cancelling["pids"] and _waits_for_a_lock(cancelling["pids"]))
            ),
            what="the cancellation to finish or wait for the purchase",
        )
        return reserved

    monkeypatch.setattr(purchase, "_listing_reserve", reserve_then_cancel)
    # The purchase may learn of the cancellation when it asks Stripe.
    with contextlib.suppress(DomainError):
        transaction_purchase(buyer=UserFactory(), listing_id=listing.pk)
    thread.join(timeout=60)
    assert cancelling["done"].is_set() and cancelling["error"] is None, cancelling["error"]


def test_a_reservation_made_while_the_event_is_cancelled_is_released(monkeypatch, event, listing):
    _purchase_with_a_cancellation_in_the_middle(monkeypatch, event=event, listing=listing)

    txn = Transaction.objects.get()
    assert txn.status == Transaction.Status.CANCELLED
    assert EventCancellation.objects.get(event=event).finished_at is not None
    assert not Transaction.objects.filter(
        listing__ticket__event=event, status=Transaction.Status.PENDING_PAYMENT
    ).exists()
