from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import User
from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.errors import (
    ListingExpired,
    NotFound,
    PaymentFailed,
    PermissionDenied,
    ServiceUnavailable,
    TicketNotAvailable,
    ValidationFailed,
)
from marketplace.core.models import AuditLog
from marketplace.testing import free_port
from payments import gateway
from payments.models import Payout, Transaction
from payments.services import transaction_pay, transaction_purchase
from payments.tests.helpers import CARD_DECLINED, CARD_OK, past_event
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_purchase_reserves_the_listing_and_opens_a_payment_intent(buyer, listing):
    purchase = transaction_purchase(buyer=buyer, listing_id=listing.pk)

    txn = purchase.transaction
    assert txn.status == Transaction.Status.PENDING_PAYMENT
    assert txn.payment_status == Transaction.PaymentStatus.PENDING
    # All-in price; fee and payout from the one fee breakdown: 8% of 55.00.
    assert (txn.final_price, txn.platform_fee, txn.seller_payout) == (
        Decimal("55.00"),
        Decimal("4.40"),
        Decimal("50.60"),
    )
    assert txn.payment_id.startswith("pi_")
    assert purchase.client_secret.startswith(txn.payment_id)
    intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
    assert (intent.amount, intent.currency, intent.status) == (
        5500,
        "eur",
        "requires_payment_method",
    )
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.RESERVED
    assert 14 * 60 < (txn.reserved_until - txn.created_at).total_seconds() <= 15 * 60
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"transaction.created", "listing.reserved", "ticket.reserved"} <= actions


def test_purchase_with_a_card_is_paid_at_once_and_the_ticket_changes_hands(
    buyer, seller, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        purchase = transaction_purchase(
            buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_OK
        )

    txn = purchase.transaction
    assert txn.status == Transaction.Status.PAID
    assert txn.payment_status == Transaction.PaymentStatus.SUCCEEDED
    assert txn.paid_at is not None
    ticket = Ticket.objects.get(pk=listing.ticket_id)
    assert (ticket.owner, ticket.status) == (buyer, Ticket.Status.SOLD)
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.SOLD
    payout = Payout.objects.get(transaction=txn)
    assert (payout.status, payout.amount, payout.seller) == (
        Payout.Status.HELD,
        Decimal("50.60"),
        seller,
    )
    assert gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).status == "succeeded"
    # Buyer: payment and delivery; seller: the sale.
    assert sorted(buyer.notifications.values_list("type", flat=True)) == ["delivery", "payment"]
    assert list(seller.notifications.values_list("type", flat=True)) == ["purchase"]
    assert sorted(m.to[0] for m in mail.outbox) == [buyer.email, buyer.email, seller.email]


def test_declined_card_answers_payment_failed_and_puts_the_listing_back(
    buyer, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PaymentFailed) as exc:
        transaction_purchase(buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_DECLINED)

    assert exc.value.code == "PAYMENT_FAILED"
    assert exc.value.details["reason"] == "card_declined"
    txn = Transaction.objects.get()
    assert (txn.status, txn.payment_status) == ("cancelled", "failed")
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.LISTED
    assert not Payout.objects.exists()
    # The listing can be bought again at once.
    other = UserFactory()
    assert transaction_purchase(buyer=other, listing_id=listing.pk).transaction.status == (
        "pending_payment"
    )


def test_unknown_payment_method_is_refused_before_anything_is_reserved(buyer, listing, db_snapshot):
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        transaction_purchase(buyer=buyer, listing_id=listing.pk, payment_method_id="pm_nonexistent")

    assert exc.value.details == {
        "field": "payment_method_id",
        "reason": "UNKNOWN_PAYMENT_METHOD",
    }
    assert db_snapshot() == before


def test_stripe_unreachable_answers_service_unavailable_and_releases_the_listing(
    buyer, listing, settings
):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(ServiceUnavailable) as exc:
        transaction_purchase(buyer=buyer, listing_id=listing.pk)

    assert exc.value.http_status == 503
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.LISTED
    txn = Transaction.objects.get()
    assert (txn.status, txn.payment_id) == (Transaction.Status.CANCELLED, "")


def test_server_side_payment_of_a_reserved_transaction(buyer, listing):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction

    paid = transaction_pay(
        buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_OK
    ).transaction

    assert paid.status == Transaction.Status.PAID
    assert Ticket.objects.get(pk=listing.ticket_id).owner == buyer


def test_server_side_payment_with_a_declined_card_releases_the_reservation(
    buyer, listing, django_capture_on_commit_callbacks
):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PaymentFailed):
        transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_DECLINED)

    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("cancelled", "failed")
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    # The abandoned PaymentIntent is cancelled, so no card can pay it later.
    assert gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).status == "canceled"


def test_only_the_buyer_can_pay_their_reservation(buyer, listing):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction

    with pytest.raises(NotFound):
        transaction_pay(buyer=UserFactory(), transaction_id=txn.pk, payment_method_id=CARD_OK)


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("unknown listing", NotFound, "NOT_FOUND"),
        ("own listing", PermissionDenied, "FORBIDDEN"),
        ("suspended buyer", PermissionDenied, "FORBIDDEN"),
        ("banned buyer", PermissionDenied, "FORBIDDEN"),
        ("listing already reserved", TicketNotAvailable, "TICKET_NOT_AVAILABLE"),
        ("listing cancelled", TicketNotAvailable, "TICKET_NOT_AVAILABLE"),
        ("event started", ListingExpired, "LISTING_EXPIRED"),
        ("event cancelled", ListingExpired, "LISTING_EXPIRED"),
    ],
)
def test_refused_purchases_change_nothing(case, error, code, buyer, seller, listing, db_snapshot):
    listing_id = listing.pk
    if case == "unknown listing":
        listing_id = listing.pk + 1000
    elif case == "own listing":
        buyer = seller
    elif case in ("suspended buyer", "banned buyer"):
        User.objects.filter(pk=buyer.pk).update(status=case.split()[0])
        buyer.refresh_from_db()
    elif case == "listing already reserved":
        transaction_purchase(buyer=UserFactory(), listing_id=listing.pk)
    elif case == "listing cancelled":
        Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.CANCELLED)
    elif case == "event started":
        started = past_event(hours_ago=1)
        ticket = TicketFactory(event=started, status="listed")
        listing_id = ListingFactory(ticket=ticket).pk
    elif case == "event cancelled":
        listing.ticket.event.status = "cancelled"
        listing.ticket.event.save()
    before = db_snapshot()

    with pytest.raises(error) as exc:
        transaction_purchase(buyer=buyer, listing_id=listing_id, payment_method_id=CARD_OK)

    assert exc.value.code == code
    assert db_snapshot() == before


@override_settings(MAX_TICKETS_PER_EVENT=2)
def test_a_buyer_may_hold_at_most_the_limit_of_tickets_per_event(buyer, event, db_snapshot):
    listings = [
        ListingFactory(ticket=TicketFactory(event=event, status="listed")) for _ in range(3)
    ]
    for listing in listings[:2]:
        transaction_purchase(buyer=buyer, listing_id=listing.pk)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        transaction_purchase(buyer=buyer, listing_id=listings[2].pk)

    assert exc.value.details == {
        "field": "listing_id",
        "reason": "PURCHASE_LIMIT_REACHED",
        "limit": 2,
    }
    assert db_snapshot() == before
    # Another event is not counted.
    other = ListingFactory(ticket=TicketFactory(status="listed"))
    assert transaction_purchase(buyer=buyer, listing_id=other.pk).transaction.pk


def test_cancelled_purchases_do_not_count_towards_the_limit(buyer, event, settings):
    settings.MAX_TICKETS_PER_EVENT = 1
    first = ListingFactory(ticket=TicketFactory(event=event, status="listed"))
    with pytest.raises(PaymentFailed):
        transaction_purchase(buyer=buyer, listing_id=first.pk, payment_method_id=CARD_DECLINED)

    assert transaction_purchase(buyer=buyer, listing_id=first.pk).transaction.pk
