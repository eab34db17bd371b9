"""One ticket, one sale, and one payout, with real parallel database connections.

Each race is first run with its guard replaced by a read-then-write, to show
the race is real; then with the guard, to show it holds. The figures are
printed (pytest -s) and quoted in the release notes; they are not asserted.
"""

import threading
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.errors import TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import run_in_threads
from payments.models import Payout, Transaction
from payments.services import (
    escrow,
    purchase,
    transaction_auto_confirm,
    transaction_confirm,
    transaction_purchase,
)
from payments.tests.factories import PayoutFactory, TransactionFactory
from payments.tests.helpers import past_event
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 20
PAIRS = 10


# How long a racer waits at a barrier for the others before the test fails.
BARRIER_SECONDS = 30


def _read_then_write_reserve(*, listing_id, now, all_read):
    """The race the guard prevents: check, then write by primary key. Every
    buyer checks before any writes: each waits at the barrier `all_read`
    between its read and its write."""
    available = Listing.objects.filter(
        pk=listing_id, status=Listing.Status.ACTIVE, expires_at__gt=now
    ).exists()
    all_read.wait()
    if available:
        Listing.objects.filter(pk=listing_id).update(status=Listing.Status.PENDING)
    return available


def _race_for_one_listing():
    listing = ListingFactory(ticket=TicketFactory(status="listed"), price=Decimal("55.00"))
    buyers = [UserFactory() for _ in range(BUYERS)]
    calls = [(lambda b=b: transaction_purchase(buyer=b, listing_id=listing.pk)) for b in buyers]
    results, seconds = run_in_threads(calls)
    wins = [r for r in results if isinstance(r, purchase.Purchase)]
    refused = [r for r in results if isinstance(r, TicketNotAvailable)]
    others = [r for r in results if r not in wins and r not in refused]
    return listing, wins, refused, others, seconds


def test_without_the_guard_several_buyers_pass_the_availability_check(monkeypatch):
    passed = []
    all_read = threading.Barrier(BUYERS, timeout=BARRIER_SECONDS)

    def counting_reserve(**kwargs):
        ok = _read_then_write_reserve(**kwargs, all_read=all_read)
        passed.append(ok)
        return ok

    monkeypatch.setattr(purchase, "_listing_reserve", counting_reserve)

    listing, wins, refused, others, seconds = _race_for_one_listing()

    print(
        f"\nunguarded: {BUYERS} buyers, {sum(passed)} passed the check, {len(wins)} sales, "
        f"{len(refused)} TICKET_NOT_AVAILABLE, {len(others)} other errors, {seconds:.2f} s"
    )
    assert sum(passed) > 1
    assert sum(passed) == BUYERS  # each read "active" before anyone wrote
    # Only the database's last line of defence (one live transaction per
    # listing) stopped a double sale, with errors a buyer would see as a 500.
    assert len(others) == sum(passed) - 1
    assert Transaction.objects.filter(listing=listing).exclude(status="cancelled").count() == 1


def test_twenty_buyers_racing_for_one_listing_make_exactly_one_sale():
    listing, wins, refused, others, seconds = _race_for_one_listing()

    print(
        f"\nguarded: {BUYERS} buyers, {len(wins)} sale, {len(refused)} TICKET_NOT_AVAILABLE, "
        f"{len(others)} other errors, {seconds:.2f} s"
    )
    assert (len(wins), len(refused), others) == (1, BUYERS - 1, [])
    assert Transaction.objects.filter(listing=listing).count() == 1
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PENDING


def _paid_transactions_due_for_auto_confirm(count):
    event = past_event(hours_ago=72)
    transactions = []
    for _ in range(count):
        listing = ListingFactory(ticket=TicketFactory(event=event, status="sold"), status="sold")
        txn = TransactionFactory(listing=listing, status=Transaction.Status.PAID)
        PayoutFactory(transaction=txn, status=Payout.Status.HELD)
        transactions.append(txn)
    return transactions


def _race_confirmations():
    transactions = _paid_transactions_due_for_auto_confirm(PAIRS)
    calls = []
    for txn in transactions:
        calls.append(lambda t=txn: transaction_confirm(buyer=t.buyer, transaction_id=t.pk))
        calls.append(lambda t=txn: transaction_auto_confirm(transaction_id=t.pk))
    results, seconds = run_in_threads(calls)
    # Each release asks the seller (who has no payout account) for payout details once.
    releases = AuditLog.objects.filter(action="payout.awaiting_account").count()
    return transactions, results, releases, seconds


def test_without_the_guard_confirm_and_auto_confirm_both_release_the_escrow(monkeypatch):
    # Every confirmation and auto-confirmation reads "paid" before any writes.
    all_read = threading.Barrier(2 * PAIRS, timeout=BARRIER_SECONDS)

    def read_then_write(*, transaction_id, from_status, now):
        current = Transaction.objects.filter(pk=transaction_id, status=from_status).exists()
        all_read.wait()
        if current:
            Transaction.objects.filter(pk=transaction_id).update(
                status=Transaction.Status.COMPLETED, confirmed_at=now
            )
        return current

    monkeypatch.setattr(escrow, "_transaction_complete_claim", read_then_write)

    transactions, results, releases, seconds = _race_confirmations()

    print(f"\nunguarded: {PAIRS} confirm/auto-confirm pairs, {releases} releases, {seconds:.2f} s")
    assert releases > PAIRS


def test_confirm_and_auto_confirm_racing_release_each_escrow_once():
    transactions, results, releases, seconds = _race_confirmations()

    print(f"\nguarded: {PAIRS} confirm/auto-confirm pairs, {releases} releases, {seconds:.2f} s")
    assert releases == PAIRS
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationFailed)
    ]
    assert unexpected == []
    for txn in transactions:
        txn.refresh_from_db()
        assert txn.status == Transaction.Status.COMPLETED
        assert Payout.objects.get(transaction=txn).status == Payout.Status.HELD
        assert txn.seller.notifications.filter(type="payout_account_needed").count() == 1
