"""Helpers the tests of this folder import (fixtures stay in conftest.py)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from payments.models import Transaction
from payments.tests.factories import TransactionFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

# Stripe's test payment methods, as localstripe knows them.
CARD_OK = "pm_card_visa"

CARD_DECLINED = "pm_card_chargeCustomerFail"  # 4000 0000 0000 0341: the charge is declined


def past_event(**kwargs):
    """An event that started `hours_ago` hours ago."""
    hours_ago = kwargs.pop("hours_ago", 72)
    start = timezone.localtime() - datetime.timedelta(hours=hours_ago)
    return EventFactory(
        event_date=start.date(), event_time=start.time().replace(microsecond=0), **kwargs
    )


def transaction_in(status, **kwargs):
    """A transaction in `status`, as the purchase leaves it: a reservation
    running 10 more minutes while it waits for payment; once paid, the
    ticket is the buyer's (as transaction_mark_paid leaves it)."""
    if status == Transaction.Status.PENDING_PAYMENT:
        kwargs.setdefault("reserved_until", timezone.now() + datetime.timedelta(minutes=10))
        kwargs.setdefault("payment_status", Transaction.PaymentStatus.PENDING)
    txn = TransactionFactory(status=status, **kwargs)
    if status in (
        Transaction.Status.PAID,
        Transaction.Status.COMPLETED,
        Transaction.Status.DISPUTED,
    ):
        Ticket.objects.filter(pk=txn.listing.ticket_id).update(owner=txn.buyer)
    return txn


def listing_on_sale(event, price="55.00"):
    """A listing of a 50.00 ticket of `event`, by a seller of its own."""
    seller = UserFactory()
    ticket = TicketFactory(event=event, owner=seller, face_value=Decimal("50.00"), status="listed")
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal(price))
