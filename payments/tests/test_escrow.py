import datetime

import pytest
from django.utils import timezone

from listings.tests.factories import ListingFactory
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import run_in_threads
from payments import gateway
from payments.models import Payout, Transaction
from payments.services import (
    payouts_send_due,
    reservations_release_expired,
    transaction_confirm,
    transaction_mark_paid,
    transaction_purchase,
    transaction_release,
    transactions_auto_confirm_due,
)
from payments.tests.factories import PayoutFactory, TransactionFactory
from payments.tests.helpers import past_event
from payments.tests.stripe_helpers import paid_purchase, seller_onboarded, transfers_of
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _paid(event=None, **kwargs):
    ticket_kwargs = {"status": "sold"} if event is None else {"status": "sold", "event": event}
    listing = ListingFactory(ticket=TicketFactory(**ticket_kwargs), status="sold")
    txn = TransactionFactory(listing=listing, status=Transaction.Status.PAID, **kwargs)
    Ticket.objects.filter(pk=listing.ticket_id).update(owner=txn.buyer)
    PayoutFactory(transaction=txn, status=Payout.Status.HELD)
    return txn


def test_buyer_confirms_receipt_and_the_payout_is_transferred_to_the_sellers_account(
    buyer, seller, listing, django_capture_on_commit_callbacks
):
    account = seller_onboarded(seller)
    txn = paid_purchase(buyer, listing)

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = transaction_confirm(buyer=txn.buyer, transaction_id=txn.pk)

    assert confirmed.status == Transaction.Status.COMPLETED
    assert confirmed.confirmed_at is not None
    payout = Payout.objects.get(transaction=txn)
    # The on-commit task transferred it to the seller's own Stripe account.
    assert payout.status == Payout.Status.PAID
    [transfer] = transfers_of(txn)
    assert transfer.id == payout.transfer_id
    assert (transfer.amount, transfer.currency) == (5060, "eur")
    assert transfer.destination == account.stripe_account_id
    assert transfer.source_transaction == txn.charge_id
    assert Ticket.objects.get(pk=txn.listing.ticket_id).status == Ticket.Status.AVAILABLE
    assert txn.seller.notifications.filter(type="payout").count() == 1
    assert {"transaction.confirmed", "payout.scheduled", "payout.paid"} <= set(
        AuditLog.objects.values_list("action", flat=True)
    )


@pytest.mark.parametrize("status", ["pending_payment", "completed", "disputed", "refunded"])
def test_only_a_paid_purchase_can_be_confirmed(status, db_snapshot):
    txn = _paid()
    Transaction.objects.filter(pk=txn.pk).update(status=status)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        transaction_confirm(buyer=txn.buyer, transaction_id=txn.pk)

    assert exc.value.details["reason"] == "NOT_CONFIRMABLE"
    assert db_snapshot() == before


def test_only_the_buyer_can_confirm(db_snapshot):
    txn = _paid()
    stranger = TicketFactory().owner
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        transaction_confirm(buyer=txn.seller, transaction_id=txn.pk)
    with pytest.raises(NotFound):
        transaction_confirm(buyer=stranger, transaction_id=txn.pk)

    assert db_snapshot() == before


def test_auto_confirmation_waits_for_the_hours_after_the_event(settings):
    settings.AUTO_CONFIRM_HOURS = 48
    due = _paid(event=past_event(hours_ago=49))
    too_early = _paid(event=past_event(hours_ago=47))
    upcoming = _paid()

    assert transactions_auto_confirm_due() == 1

    assert Transaction.objects.get(pk=due.pk).status == Transaction.Status.COMPLETED
    assert Transaction.objects.get(pk=too_early.pk).status == Transaction.Status.PAID
    assert Transaction.objects.get(pk=upcoming.pk).status == Transaction.Status.PAID
    assert AuditLog.objects.get(action="transaction.auto_confirmed").actor is None
    # A second run finds nothing to do.
    assert transactions_auto_confirm_due() == 0


def test_auto_confirmation_skips_a_disputed_purchase():
    disputed = _paid(event=past_event(hours_ago=72))
    Transaction.objects.filter(pk=disputed.pk).update(status=Transaction.Status.DISPUTED)

    assert transactions_auto_confirm_due() == 0
    assert Payout.objects.get(transaction=disputed).status == Payout.Status.HELD


def test_expired_reservations_are_released_and_their_payment_intents_cancelled(
    buyer, listing, django_capture_on_commit_callbacks
):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    fresh = transaction_purchase(
        buyer=buyer, listing_id=ListingFactory(ticket=TicketFactory(status="listed")).pk
    ).transaction
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert reservations_release_expired() == 1

    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("cancelled", "pending")
    assert gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).status == "canceled"
    listing.refresh_from_db()
    assert listing.status == "active"
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.LISTED
    assert Transaction.objects.get(pk=fresh.pk).status == "pending_payment"
    assert reservations_release_expired() == 0


def test_a_reservation_paid_just_before_release_is_paid_not_released(buyer, listing):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    client = gateway.stripe_client()
    client.v1.payment_intents.update(txn.payment_id, params={"payment_method": "pm_card_visa"})
    client.v1.payment_intents.confirm(txn.payment_id)
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert reservations_release_expired() == 0

    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID


def test_a_payment_that_succeeds_after_the_release_is_refunded(
    buyer, listing, django_capture_on_commit_callbacks
):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    transaction_release(transaction_id=txn.pk, reason="reservation_expired")
    # The buyer's card goes through at Stripe after all (a slow checkout page).
    client = gateway.stripe_client()
    client.v1.payment_intents.update(txn.payment_id, params={"payment_method": "pm_card_visa"})
    client.v1.payment_intents.confirm(txn.payment_id)

    with django_capture_on_commit_callbacks(execute=True):
        intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
        assert not transaction_mark_paid(transaction_id=txn.pk, intent=intent)

    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("cancelled", "refunded")
    refunds = client.v1.refunds.list(params={"payment_intent": txn.payment_id})
    assert [r.amount for r in refunds.data] == [5500]
    assert buyer.notifications.filter(type="refund").count() == 1
    assert listing.ticket.owner != buyer


def test_a_released_reservation_whose_event_started_expires_the_listing(buyer, listing):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    past = timezone.now() - datetime.timedelta(minutes=1)
    Transaction.objects.filter(pk=txn.pk).update(reserved_until=past)
    type(listing).objects.filter(pk=listing.pk).update(expires_at=past, listed_at=past)

    reservations_release_expired()

    listing.refresh_from_db()
    assert listing.status == "expired"
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.AVAILABLE


@pytest.mark.django_db(transaction=True)
def test_periodic_jobs_run_twice_at_once_act_once(buyer):
    transactions = []
    for _ in range(6):
        listing = ListingFactory(ticket=TicketFactory(status="listed"))
        transactions.append(transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction)
    Transaction.objects.update(reserved_until=timezone.now() - datetime.timedelta(seconds=1))
    for _ in range(4):
        txn = _paid(event=past_event(hours_ago=72))
    seller = TicketFactory().owner
    seller_onboarded(seller)
    scheduled = [
        paid_purchase(buyer, ListingFactory(ticket=TicketFactory(owner=seller, status="listed")))
        for _ in range(3)
    ]
    Transaction.objects.filter(pk__in=[t.pk for t in scheduled]).update(
        status=Transaction.Status.COMPLETED
    )
    Payout.objects.filter(transaction__in=scheduled).update(status=Payout.Status.SCHEDULED)

    results, seconds = run_in_threads(
        [reservations_release_expired, reservations_release_expired]
        + [transactions_auto_confirm_due, transactions_auto_confirm_due]
        + [payouts_send_due, payouts_send_due]
    )

    print(f"\njobs twice at once: results {results} in {seconds:.2f} s")
    assert not [r for r in results if isinstance(r, Exception)]
    assert results[0] + results[1] == 6
    assert results[2] + results[3] == 4
    assert AuditLog.objects.filter(action="transaction.cancelled").count() == 6
    assert AuditLog.objects.filter(action="transaction.auto_confirmed").count() == 4
    # The 3 scheduled payouts were each transferred once; the 4 auto-confirmed
    # sales' sellers have no payout account: their payouts wait, held.
    assert AuditLog.objects.filter(action="payout.paid").count() == 3
    assert sum(len(transfers_of(t)) for t in scheduled) == 3
    assert AuditLog.objects.filter(action="payout.awaiting_account").count() == 4
    assert txn.pk
