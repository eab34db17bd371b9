"""A fan with a row in every table that holds something of theirs, for the
tests of the data export and the account's deletion (marketplace.privacy)."""

import hashlib
import itertools
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiSession, TraderDeclaration
from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import WaitlistEntry
from listings.tests.factories import ListingFactory, ListingReportFactory
from marketplace.core.audit import AuditAction, audit_log_record
from messaging.tests.factories import MessageFactory, NotificationFactory
from payments.models import Dispute, Payout, Transaction
from payments.tests.factories import (
    DisputeFactory,
    PayoutAccountFactory,
    PayoutFactory,
    TransactionFactory,
)
from tickets.models import Ticket, TicketTransfer
from tickets.tests.factories import TicketFactory

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(100)


@dataclass
class FanData:
    user: object
    ids: dict = field(default_factory=dict)
    other_messages: list = field(default_factory=list)


def fan_with_everything(**user_fields) -> FanData:
    """An account with settled purchases and sales (nothing in escrow), a
    ticket in hand, a listing on sale, messages both ways, a notification, a
    waiting list place, a report, a transfer, an API session, a trader
    declaration, a payout account and audit rows about it."""
    user = UserFactory(
        phone=f"+353 1 555 {next(_numbers):04d}", preferences={"email_news": True}, **user_fields
    )
    now = timezone.now()
    data = FanData(user=user)
    TraderDeclaration.objects.create(
        user=user,
        kind=TraderDeclaration.Kind.TRADER,
        business_name=f"{user.name} Tickets",
        address="5 Harbour Road, Cork",
        phone="+353 21 555 0199",
        email=f"shop-{user.pk}@example.net",
        trade_register_name="CRO",
        trade_register_number=f"REG{user.pk}",
        status=TraderDeclaration.Status.PENDING_REVIEW,
        declared_at=now,
    )
    PayoutAccountFactory(user=user)
    held = TicketFactory(owner=user)
    listing = ListingFactory(ticket__owner=user)
    purchase = TransactionFactory(buyer=user, status=Transaction.Status.COMPLETED)
    sale = TransactionFactory(listing__ticket__owner=user, status=Transaction.Status.COMPLETED)
    PayoutFactory(transaction=sale, status=Payout.Status.PAID)
    # Paid for: each ticket is its buyer's now.
    for txn in (purchase, sale):
        Ticket.objects.filter(pk=txn.listing.ticket_id).update(
            owner=txn.buyer, status=Ticket.Status.SOLD
        )
        type(txn.listing).objects.filter(pk=txn.listing_id).update(status="sold")
    dispute = DisputeFactory(transaction=purchase, status=Dispute.Status.REJECTED)
    mine = MessageFactory(transaction=purchase, sender=user, body="See you at the door")
    theirs = MessageFactory(transaction=purchase, sender=purchase.seller, body="Sent it!")
    data.other_messages.append(theirs)
    notification = NotificationFactory(user=user)
    entry = WaitlistEntry.objects.create(
        event=EventFactory(), fan=user, quantity=2, joined_at=now, position=1
    )
    report = ListingReportFactory(reporter=user)
    gift = TicketFactory(owner=user, status=Ticket.Status.AVAILABLE)
    transfer = TicketTransfer.objects.create(
        ticket=gift,
        sender=user,
        recipient_email=f"friend-of-{user.pk}@example.org",
        status=TicketTransfer.Status.CANCELLED,
        code_hash=hashlib.sha256(f"code-{user.pk}".encode()).hexdigest(),
        ticket_status_before=Ticket.Status.AVAILABLE,
        expires_at=now,
    )
    session = ApiSession.objects.create(user=user)
    with transaction.atomic():
        audit = audit_log_record(
            actor=user,
            action=AuditAction.USER_EMAIL_CHANGED,
            entity=user,
            changes={"email": {"from": f"old-{user.email}", "to": user.email}},
            ip_address="203.0.113.7",
        )
    data.ids = {
        "tickets": {held.pk, gift.pk, purchase.listing.ticket_id},
        "listings": {listing.pk, sale.listing_id},
        "purchases": {purchase.pk},
        "sales": {sale.pk},
        "disputes": {dispute.pk},
        "messages": {mine.pk, theirs.pk},
        "notifications": {notification.pk},
        "waiting_lists": {entry.pk},
        "reports": {report.pk},
        "ticket_transfers": {transfer.pk},
        "api_sessions": {str(session.pk)},
        "audit_log": {audit.pk},
    }
    return data
