"""transaction_view_for: the viewer's role on a transaction, what they may do
now and until when, and the transaction's deadlines. The pages and the API
show this one answer (test_transaction_actions.py checks both paths)."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.errors import NotFound
from payments.models import Transaction
from payments.selectors import (
    TransactionAction,
    transaction_get_for_party,
    transaction_view_for,
)
from payments.services.disputes import dispute_window_closes_at
from payments.services.escrow import auto_confirm_due_at
from payments.tests.helpers import past_event, transaction_in
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

Status = Transaction.Status
NO = TransactionAction(False)
YES = TransactionAction(True)
ACTIONS = ("pay", "cancel", "confirm", "dispute", "message", "download_ticket")


def purchase(status=Status.PAID, **kwargs) -> Transaction:
    """A purchase in `status`, loaded as the pages and the API load it."""
    txn = transaction_in(status, **kwargs)
    return transaction_get_for_party(user=txn.buyer, transaction_id=txn.pk)


def allowed(view) -> dict[str, TransactionAction]:
    """The actions allowed, with their deadlines."""
    return {
        name: getattr(view.actions, name) for name in ACTIONS if getattr(view.actions, name).allowed
    }


# --- the buyer, through the states ---------------------------------------------------


def test_a_running_reservation_may_be_paid_or_given_up_until_it_ends():
    txn = purchase(Status.PENDING_PAYMENT)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert view.role == "buyer"
    until = TransactionAction(True, txn.reserved_until)
    assert allowed(view) == {"pay": until, "cancel": until, "message": YES}
    assert view.deadlines.reservation_ends_at == txn.reserved_until
    # A buyer about to pay may want to know how long they could report a problem.
    assert view.deadlines.dispute_window_closes_at == dispute_window_closes_at(txn)
    assert view.deadlines.auto_confirm_at is None


def test_a_payment_waiting_for_the_bank_may_be_paid_again_while_reserved():
    txn = purchase(Status.PENDING_PAYMENT, payment_status=Transaction.PaymentStatus.REQUIRES_ACTION)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert view.actions.pay == TransactionAction(True, txn.reserved_until)


def test_a_reservation_ends_at_its_exact_moment():
    txn = purchase(Status.PENDING_PAYMENT)
    ends = txn.reserved_until

    before = transaction_view_for(
        user=txn.buyer, transaction=txn, now=ends - datetime.timedelta(seconds=1)
    )
    at_the_end = transaction_view_for(user=txn.buyer, transaction=txn, now=ends)

    assert before.actions.pay.allowed and before.actions.cancel.allowed
    assert at_the_end.actions.pay == NO
    assert at_the_end.actions.cancel == NO
    assert at_the_end.deadlines.reservation_ends_at == ends  # still waiting for the job


def test_a_paid_purchase_may_be_confirmed_and_disputed_until_the_window_closes():
    txn = purchase(Status.PAID)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    closes = dispute_window_closes_at(txn)
    assert allowed(view) == {
        "confirm": YES,  # no deadline of its own: the sale completes by itself
        "dispute": TransactionAction(True, closes),
        "message": YES,
        "download_ticket": YES,
    }
    assert view.deadlines.reservation_ends_at is None
    assert view.deadlines.dispute_window_closes_at == closes
    assert view.deadlines.auto_confirm_at == auto_confirm_due_at(txn)


def test_the_dispute_window_is_open_up_to_its_closing_moment_included():
    txn = purchase(Status.PAID)
    closes = dispute_window_closes_at(txn)

    at_close = transaction_view_for(user=txn.buyer, transaction=txn, now=closes)
    after = transaction_view_for(
        user=txn.buyer, transaction=txn, now=closes + datetime.timedelta(seconds=1)
    )

    assert at_close.actions.dispute == TransactionAction(True, closes)
    assert after.actions.dispute == NO
    assert after.actions.confirm == YES


def test_after_the_dispute_window_the_buyer_may_still_confirm_but_not_dispute():
    txn = purchase(Status.PAID, listing__ticket__event=past_event(hours_ago=100))

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert allowed(view) == {"confirm": YES, "message": YES, "download_ticket": YES}
    # Still shown: when it closed, and when the job completes the sale.
    assert view.deadlines.dispute_window_closes_at < timezone.now()
    assert view.deadlines.auto_confirm_at == auto_confirm_due_at(txn)


def test_a_ticket_the_buyer_passed_on_is_no_longer_theirs_to_download():
    txn = purchase(Status.PAID)
    Ticket.objects.filter(pk=txn.listing.ticket_id).update(owner=UserFactory())
    txn = transaction_get_for_party(user=txn.buyer, transaction_id=txn.pk)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert view.actions.download_ticket == NO
    assert view.actions.confirm == YES


def test_a_disputed_purchase_waits_for_staff():
    txn = purchase(Status.DISPUTED)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert allowed(view) == {"message": YES, "download_ticket": YES}
    assert (
        view.deadlines.reservation_ends_at,
        view.deadlines.dispute_window_closes_at,
        view.deadlines.auto_confirm_at,
    ) == (None, None, None)


def test_a_completed_purchase_keeps_its_ticket_and_thread():
    txn = purchase(Status.COMPLETED)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert allowed(view) == {"message": YES, "download_ticket": YES}
    assert view.deadlines.auto_confirm_at is None
    assert view.deadlines.dispute_window_closes_at is None


def test_a_refunded_purchase_has_only_its_thread():
    txn = purchase(Status.REFUNDED)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert allowed(view) == {"message": YES}


def test_a_cancelled_purchase_allows_nothing_its_conversation_is_closed():
    txn = purchase(Status.CANCELLED, payment_status=Transaction.PaymentStatus.PENDING)

    view = transaction_view_for(user=txn.buyer, transaction=txn)

    assert allowed(view) == {}
    assert view.deadlines.reservation_ends_at is None


# --- the seller, staff, anyone else ---------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [Status.PENDING_PAYMENT, Status.PAID, Status.DISPUTED, Status.COMPLETED, Status.REFUNDED],
)
def test_the_seller_may_write_but_never_act_as_the_buyer(status):
    txn = purchase(status)

    view = transaction_view_for(user=txn.seller, transaction=txn)

    assert view.role == "seller"
    assert allowed(view) == {"message": YES}
    # The same deadlines as the buyer's: the seller learns when they can be paid.
    assert view.deadlines == transaction_view_for(user=txn.buyer, transaction=txn).deadlines


def test_the_seller_of_a_cancelled_purchase_may_do_nothing():
    txn = purchase(Status.CANCELLED)

    assert allowed(transaction_view_for(user=txn.seller, transaction=txn)) == {}


@pytest.mark.parametrize("status", [Status.PENDING_PAYMENT, Status.PAID, Status.DISPUTED])
def test_staff_read_any_transaction_and_act_on_none_here(status):
    txn = purchase(status)

    view = transaction_view_for(user=StaffFactory(), transaction=txn)

    assert view.role == "staff"
    assert allowed(view) == {}  # staff settle disputes and refund in the admin
    assert view.deadlines == transaction_view_for(user=txn.buyer, transaction=txn).deadlines


def test_staff_who_bought_the_ticket_see_it_as_its_buyer():
    staff = StaffFactory()
    txn = purchase(Status.PAID, buyer=staff)

    view = transaction_view_for(user=staff, transaction=txn)

    assert view.role == "buyer"
    assert view.actions.confirm == YES


def test_anyone_else_gets_not_found():
    txn = purchase(Status.PAID)

    with pytest.raises(NotFound):
        transaction_view_for(user=UserFactory(), transaction=txn)


def test_the_answer_takes_no_query_on_a_transaction_loaded_for_its_page(
    django_assert_num_queries,
):
    txn = purchase(Status.PAID)
    staff = StaffFactory()

    with django_assert_num_queries(0):
        for user in (txn.buyer, txn.seller, staff):
            transaction_view_for(user=user, transaction=txn)


def test_the_answer_is_frozen():
    txn = purchase(Status.PAID)
    view = transaction_view_for(user=txn.buyer, transaction=txn)

    with pytest.raises(AttributeError):
        view.role = "seller"
