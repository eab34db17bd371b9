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

from marketplace.audit import audit_log_record, audit_status_change
from marketplace.celery import enqueue_on_commit
from marketplace.errors import PaymentFailed, ServiceUnavailable, ValidationFailed
from marketplace.money import money_str
from messaging.models import Notification
from messaging.services import notification_create
from payments import gateway
from payments.models import Payout, Transaction
from payments.selectors import transaction_get_for_buyer
from tickets.models import Ticket

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
    """Complete a transaction and schedule the seller's payout. Runs inside the
    caller's transaction; returns False when another caller released it first."""
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
    payout, _ = Payout.objects.get_or_create(
        transaction=txn,
        defaults={"seller": txn.seller, "amount": txn.seller_payout, "currency": txn.currency},
    )
    Payout.objects.filter(pk=payout.pk, status=Payout.Status.HELD).update(
        status=Payout.Status.SCHEDULED, scheduled_at=now, updated_at=now
    )
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
        action="ticket.delivered",
        entity=ticket,
        old=Ticket.Status.SOLD,
        new=Ticket.Status.AVAILABLE,
        ip_address=ip_address,
    )
    audit_log_record(
        actor=actor,
        action="payout.scheduled",
        entity=payout,
        changes={
            "status": {"from": Payout.Status.HELD, "to": Payout.Status.SCHEDULED},
            "amount": money_str(payout.amount),
        },
        ip_address=ip_address,
    )
    notification_create(
        user=txn.seller,
        type=Notification.Type.PAYOUT,
        payload={
            "transaction_id": txn.pk,
            "payout_id": payout.pk,
            "amount": money_str(payout.amount),
            "currency": payout.currency,
        },
    )
    from payments.tasks import payout_send

    enqueue_on_commit(
        payout_send, payout.pk, fallback="the payouts job (payouts_send_scheduled) sends it later"
    )
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
            action="transaction.confirmed",
            ip_address=ip_address,
        )
        if not released:
            raise ValidationFailed(
                "Only a paid purchase without an open dispute can be confirmed.",
                details={"field": "status", "reason": "NOT_CONFIRMABLE"},
            )
    txn.refresh_from_db()
    return txn


def auto_confirm_due_at(txn: Transaction) -> datetime.datetime:
    return txn.listing.ticket.event.starts_at + datetime.timedelta(
        hours=settings.AUTO_CONFIRM_HOURS
    )


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
            action="transaction.auto_confirmed",
        )


def transactions_auto_confirm_due(*, limit: int = 1000) -> int:
    # A dispute moves a transaction to "disputed", so "paid" already means no
    # open dispute. The date filter is coarse; transaction_auto_confirm checks
    # the exact time with the event's start time.
    cutoff = (timezone.now() - datetime.timedelta(hours=settings.AUTO_CONFIRM_HOURS)).date()
    due = Transaction.objects.filter(
        status=Transaction.Status.PAID, listing__ticket__event__event_date__lte=cutoff
    ).values_list("pk", flat=True)[:limit]
    return sum(transaction_auto_confirm(transaction_id=pk) for pk in list(due))


def payout_send(*, payout_id: int) -> bool:
    """Pay a scheduled payout to the seller through the gateway.

    Returns True when this call paid it. Stripe unreachable: the payout stays
    scheduled for the periodic job to retry. Refused: it is marked failed with
    Stripe's reason, for staff to look at.
    """
    with transaction.atomic():
        # Lock the payout while the gateway pays it: a second sender (the
        # periodic job and the on-commit task at once) waits here, then finds
        # it paid. The idempotency key covers a retry after a lost answer.
        payout = (
            Payout.objects.select_for_update()
            .filter(pk=payout_id, status=Payout.Status.SCHEDULED)
            .first()
        )
        if payout is None:
            return False
        now = timezone.now()
        try:
            reference = gateway.payout_create(
                payout_id=payout.pk, amount=payout.amount, currency=payout.currency
            )
        except ServiceUnavailable:
            logger.warning("Payout %s kept scheduled: Stripe unreachable.", payout.pk)
            return False
        except PaymentFailed as exc:
            payout.status, payout.failure_message = Payout.Status.FAILED, exc.message[:500]
            payout.save(update_fields=["status", "failure_message", "updated_at"])
            audit_status_change(
                actor=None,
                action="payout.failed",
                entity=payout,
                old=Payout.Status.SCHEDULED,
                new=Payout.Status.FAILED,
            )
            return False
        payout.status, payout.gateway_reference, payout.paid_at = Payout.Status.PAID, reference, now
        payout.save(update_fields=["status", "gateway_reference", "paid_at", "updated_at"])
        audit_log_record(
            actor=None,
            action="payout.paid",
            entity=payout,
            changes={
                "status": {"from": Payout.Status.SCHEDULED, "to": Payout.Status.PAID},
                "gateway_reference": reference,
            },
        )
    return True


def payouts_send_scheduled(*, limit: int = 500) -> int:
    due = Payout.objects.filter(status=Payout.Status.SCHEDULED).values_list("pk", flat=True)
    return sum(payout_send(payout_id=pk) for pk in list(due[:limit]))
