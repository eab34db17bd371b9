"""The escrow: the seller's money is held from payment until the buyer has the
ticket, then released (ARCHITECTURE.md, rule 6).

Release happens once, whoever asks first: the buyer confirming receipt, the
periodic auto-confirmation AUTO_CONFIRM_HOURS after the event, or staff
closing a dispute in the seller's favour.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.audit import AuditAction, audit_status_change
from marketplace.core.errors import ValidationFailed
from payments.models import Payout, Transaction
from payments.selectors import transaction_get_for_buyer
from tickets.models import Ticket

from .payouts import payout_release

logger = logging.getLogger(__name__)


def _transaction_complete_claim(*, transaction_id: int, from_status: str, now) -> bool:
    """Move the transaction to completed: the guard that releases the escrow once.

    One conditional UPDATE: when the buyer's confirmation and the periodic
    auto-confirmation arrive together, one of them changes the row and the
    other sees zero rows, so the payout is scheduled once.
    """
    return (
        Transaction.objects.filter(pk=transaction_id, status=from_status).update(
            status=Transaction.Status.COMPLETED, confirmed_at=now, updated_at=now
        )
        == 1
    )


def escrow_release(
    *, transaction_id: int, from_status: str, actor, action: str, ip_address=None
) -> bool:
    """Complete a transaction and release the seller's payout: scheduled for a
    transfer when the seller's account can receive money, else held with a
    request for payout details. Runs inside the caller's transaction; returns
    False when another caller released it first."""
    now = timezone.now()
    if not _transaction_complete_claim(
        transaction_id=transaction_id, from_status=from_status, now=now
    ):
        return False
    txn = Transaction.objects.select_related("listing__ticket__event", "seller").get(
        pk=transaction_id
    )
    ticket = txn.listing.ticket
    # The buyer holds the ticket outright now: they may resell or transfer it.
    Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.SOLD).update(
        status=Ticket.Status.AVAILABLE, updated_at=now
    )
    payout, _ = Payout.objects.select_related("seller").get_or_create(
        transaction=txn,
        defaults={"seller": txn.seller, "amount": txn.seller_payout, "currency": txn.currency},
    )
    payout.transaction = txn
    audit_status_change(
        actor=actor,
        action=action,
        entity=txn,
        old=from_status,
        new=Transaction.Status.COMPLETED,
        ip_address=ip_address,
    )
    audit_status_change(
        actor=actor,
        action=AuditAction.TICKET_DELIVERED,
        entity=ticket,
        old=Ticket.Status.SOLD,
        new=Ticket.Status.AVAILABLE,
        ip_address=ip_address,
    )
    if payout.status == Payout.Status.HELD:
        payout_release(payout=payout, actor=actor, ip_address=ip_address)
    return True


def transaction_confirm(*, buyer, transaction_id: int, ip_address=None) -> Transaction:
    """The buyer confirms they have the ticket: the sale completes and the
    seller's payout is scheduled.

    Raises NotFound (not the buyer's transaction), PermissionDenied (its seller)
    or ValidationFailed (not paid,
    disputed, or already completed).
    """
    txn = transaction_get_for_buyer(user=buyer, transaction_id=transaction_id)
    with transaction.atomic():
        released = escrow_release(
            transaction_id=txn.pk,
            from_status=Transaction.Status.PAID,
            actor=buyer,
            action=AuditAction.TRANSACTION_CONFIRMED,
            ip_address=ip_address,
        )
        if not released:
            raise ValidationFailed(
                _("Only a paid purchase without an open dispute can be confirmed."),
                details={"field": "status", "reason": "NOT_CONFIRMABLE"},
            )
    txn.refresh_from_db()
    return txn


def auto_confirm_due_at(txn: Transaction) -> datetime.datetime:
    """AUTO_CONFIRM_HOURS real hours after the event's start on the venue's clock
    (counted in UTC, so a daylight-saving change in between adds or takes no hour)."""
    start = txn.listing.ticket.event.starts_at
    return (
        start.astimezone(datetime.UTC) + datetime.timedelta(hours=settings.AUTO_CONFIRM_HOURS)
    ).astimezone(start.tzinfo)


def transaction_auto_confirm(*, transaction_id: int) -> bool:
    """Complete a paid transaction AUTO_CONFIRM_HOURS after its event when the
    buyer neither confirmed nor disputed. Safe to run twice at once."""
    txn = (
        Transaction.objects.select_related("listing__ticket__event")
        .filter(pk=transaction_id, status=Transaction.Status.PAID)
        .first()
    )
    if txn is None or auto_confirm_due_at(txn) > timezone.now():
        return False
    with transaction.atomic():
        return escrow_release(
            transaction_id=txn.pk,
            from_status=Transaction.Status.PAID,
            actor=None,
            action=AuditAction.TRANSACTION_AUTO_CONFIRMED,
        )


def transactions_auto_confirm_due(*, limit: int = 1000) -> int:
    # A dispute moves a transaction to "disputed", so "paid" already means no
    # open dispute. The date filter is coarse; transaction_auto_confirm checks
    # the exact time with the event's start time. A venue's date runs up to 14 hours
    # ahead of UTC (Pacific/Kiritimati): a day of margin keeps those events in.
    cutoff = (
        timezone.now() - datetime.timedelta(hours=settings.AUTO_CONFIRM_HOURS)
    ).date() + datetime.timedelta(days=1)
    due = Transaction.objects.filter(
        status=Transaction.Status.PAID, listing__ticket__event__event_date__lte=cutoff
    ).values_list("pk", flat=True)[:limit]
    return sum(transaction_auto_confirm(transaction_id=pk) for pk in list(due))
