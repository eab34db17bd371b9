"""What Stripe's answer does to a transaction: paid, or cancelled and released.

Each transition starts with one conditional UPDATE from pending_payment, so
the same answer arriving twice (from the confirm response and from the
webhook, or from two webhook deliveries) changes the transaction once.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from listings.models import Listing
from listings.waitlist.offers import listing_hold_for_waitlist
from marketplace.core import metrics
from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.money import money_str
from marketplace.core.queue import enqueue_on_commit
from marketplace.core.versions import catalogue_changed
from messaging.models import Notification
from messaging.services import notification_create
from payments import gateway
from payments.models import Payout, Transaction
from tickets.models import Ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purchase:
    """A purchase or a payment attempt, with what the buyer's side needs next."""

    transaction: Transaction
    client_secret: str  # for Stripe.js (or a partner's Stripe SDK) to act on the payment
    # Stripe's next action when the card holder must authenticate (3-D Secure).
    next_action: dict | None = None


# Stripe's PaymentIntent states that mean the money will not come.
INTENT_FAILED = ("requires_payment_method", "canceled")


def payment_payload(txn: Transaction, **extra) -> dict:
    return {
        "transaction_id": txn.pk,
        "event_name": txn.listing.ticket.event.name,
        "price": money_str(txn.final_price),
        "currency": txn.currency,
        **extra,
    }


def parties_notify(txn: Transaction, type_: str, **extra) -> None:
    """Tell the buyer and the seller of `txn` the same news, each with their
    role. Runs inside the caller's transaction."""
    for role, user in (("buyer", txn.buyer), ("seller", txn.seller)):
        notification_create(user=user, type=type_, payload=payment_payload(txn, role=role, **extra))


def _amount_matches(txn: Transaction, intent: gateway.PaymentIntentInfo) -> bool:
    return intent.currency.upper() == txn.currency.upper() and intent.amount == (
        gateway.to_minor_units(txn.final_price, txn.currency)
    )


def _payment_mismatch_record(transaction_id: int, intent: gateway.PaymentIntentInfo) -> None:
    """A succeeded payment whose amount or currency is not the transaction's is
    not applied: it is written down for staff, who look at it in the admin."""
    txn = Transaction.objects.get(pk=transaction_id)
    logger.error(
        "Payment %s of transaction %s not applied: %s %s paid, %s %s expected.",
        intent.id,
        txn.pk,
        intent.amount,
        intent.currency,
        gateway.to_minor_units(txn.final_price, txn.currency),
        txn.currency,
    )
    audit_log_record(
        actor=None,
        action=AuditAction.TRANSACTION_PAYMENT_MISMATCH,
        entity=txn,
        changes={
            "payment_id": intent.id,
            "paid": {"amount": intent.amount, "currency": intent.currency.upper()},
            "expected": {
                "amount": gateway.to_minor_units(txn.final_price, txn.currency),
                "currency": txn.currency,
            },
        },
    )


def transaction_mark_paid(
    *, transaction_id: int, intent: gateway.PaymentIntentInfo, actor=None
) -> bool:
    """Stripe has the buyer's money: the transaction is paid, the ticket is the
    buyer's (file access included), the listing sold, and the seller's payout
    held in escrow. Both parties are notified.

    Returns False when the transaction was not awaiting payment (already paid,
    or cancelled: a payment that succeeds after its reservation was released
    is refunded, see `payments.tasks.payment_refund_late`), or when the amount
    or currency Stripe reports is not the transaction's (recorded for staff).
    """
    now = timezone.now()
    with transaction.atomic():
        current = Transaction.objects.filter(pk=transaction_id).first()
        if current is None:
            return False
        if not _amount_matches(current, intent):
            _payment_mismatch_record(transaction_id, intent)
            return False
        moved = Transaction.objects.filter(
            pk=transaction_id, status=Transaction.Status.PENDING_PAYMENT
        ).update(
            status=Transaction.Status.PAID,
            payment_status=Transaction.PaymentStatus.SUCCEEDED,
            payment_id=intent.id,
            charge_id=intent.charge_id,
            paid_at=now,
            updated_at=now,
        )
        if moved != 1:
            _refund_if_paid_too_late(transaction_id, intent.id)
            return False
        txn = Transaction.objects.select_related("listing__ticket__event", "buyer", "seller").get(
            pk=transaction_id
        )
        listing, ticket = txn.listing, txn.listing.ticket
        Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.SOLD, updated_at=now)
        Ticket.objects.filter(pk=ticket.pk).update(
            owner=txn.buyer, status=Ticket.Status.SOLD, updated_at=now
        )
        payout = Payout.objects.create(
            transaction=txn,
            seller=txn.seller,
            amount=txn.seller_payout,
            currency=txn.currency,
            status=Payout.Status.HELD,
        )
        status_change = {"from": Transaction.Status.PENDING_PAYMENT, "to": Transaction.Status.PAID}
        audit_log_record(
            actor=actor,
            action=AuditAction.TRANSACTION_PAID,
            entity=txn,
            changes={"status": status_change, "payment_id": intent.id},
        )
        audit_status_change(
            actor=actor,
            action=AuditAction.LISTING_SOLD,
            entity=listing,
            old=Listing.Status.PENDING,
            new=Listing.Status.SOLD,
        )
        audit_log_record(
            actor=actor,
            action=AuditAction.TICKET_SOLD,
            entity=ticket,
            changes={
                "status": {"from": Ticket.Status.RESERVED, "to": Ticket.Status.SOLD},
                "owner": {"from": txn.seller_id, "to": txn.buyer_id},
            },
        )
        audit_log_record(
            actor=actor,
            action=AuditAction.PAYOUT_HELD,
            entity=payout,
            changes={"amount": money_str(payout.amount), "status": Payout.Status.HELD},
        )
        notification_create(
            user=txn.buyer,
            type=Notification.Type.PAYMENT,
            payload=payment_payload(txn, role="buyer"),
        )
        notification_create(
            user=txn.buyer,
            type=Notification.Type.DELIVERY,
            payload={
                "transaction_id": txn.pk,
                "event_name": ticket.event.name,
                "ticket_id": ticket.pk,
            },
        )
        notification_create(
            user=txn.seller,
            type=Notification.Type.PURCHASE,
            payload=payment_payload(txn, payout=money_str(txn.seller_payout)),
        )
        metrics.payment_counted("succeeded")
    return True


def _refund_if_paid_too_late(transaction_id: int, payment_intent_id: str) -> None:
    """The buyer paid after the ticket went back on sale (a checkout page left
    open, or Stripe charged while its answer to the purchase was lost): give
    the money back, never the ticket.

    The payment is recorded on the cancelled transaction first (payment
    succeeded, its PaymentIntent), in the caller's database transaction: that
    row is what the refund works from, so a refund task lost with the broker
    is made good by the periodic `late_payments_refund` job.
    """
    # Locked: two deliveries of the webhook at once record (and refund) once.
    txn = (
        Transaction.objects.select_for_update()
        .filter(
            pk=transaction_id,
            status=Transaction.Status.CANCELLED,
            payment_status__in=(
                Transaction.PaymentStatus.PENDING,
                Transaction.PaymentStatus.FAILED,
            ),
        )
        .first()
    )
    if txn is None:
        return
    audit_log_record(
        actor=None,
        action=AuditAction.TRANSACTION_LATE_PAYMENT_RECEIVED,
        entity=txn,
        changes={
            "payment_status": {"from": txn.payment_status, "to": "succeeded"},
            "payment_id": payment_intent_id,
        },
    )
    txn.payment_status = Transaction.PaymentStatus.SUCCEEDED
    txn.payment_id = payment_intent_id
    txn.save(update_fields=["payment_status", "payment_id", "updated_at"])
    metrics.payment_counted("succeeded_late")
    from payments.tasks import payment_refund_late

    enqueue_on_commit(
        payment_refund_late,
        transaction_id,
        payment_intent_id,
        fallback="the late-payments job (late_payments_refund) refunds it later",
    )


def transaction_release(
    *,
    transaction_id: int,
    reason: str,
    payment_failed: bool = False,
    actor=None,
    ip_address=None,
) -> bool:
    """Cancel a transaction awaiting payment and put its listing back on sale
    (or expire it, if its time is up meanwhile).

    Returns False when the transaction was no longer awaiting payment.
    """
    now = timezone.now()
    with transaction.atomic():
        moved = Transaction.objects.filter(
            pk=transaction_id, status=Transaction.Status.PENDING_PAYMENT
        ).update(
            status=Transaction.Status.CANCELLED,
            payment_status=(
                Transaction.PaymentStatus.FAILED
                if payment_failed
                else Transaction.PaymentStatus.PENDING
            ),
            updated_at=now,
        )
        if moved != 1:
            return False
        if payment_failed:
            metrics.payment_counted("failed")
        txn = Transaction.objects.select_related("listing__ticket__event").get(pk=transaction_id)
        listing = txn.listing
        expired = listing.expires_at <= now
        listing_status = Listing.Status.EXPIRED if expired else Listing.Status.ACTIVE
        ticket_status = Ticket.Status.AVAILABLE if expired else Ticket.Status.LISTED
        Listing.objects.filter(pk=listing.pk, status=Listing.Status.PENDING).update(
            status=listing_status, updated_at=now
        )
        catalogue_changed(event_id=listing.ticket.event_id)
        Ticket.objects.filter(pk=listing.ticket_id, status=Ticket.Status.RESERVED).update(
            status=ticket_status, updated_at=now
        )
        audit_log_record(
            actor=actor,
            action=AuditAction.TRANSACTION_CANCELLED,
            entity=txn,
            changes={
                "status": {"from": Transaction.Status.PENDING_PAYMENT, "to": txn.status},
                "reason": reason,
            },
            ip_address=ip_address,
        )
        audit_status_change(
            actor=actor,
            action=AuditAction.LISTING_RELEASED,
            entity=listing,
            old=Listing.Status.PENDING,
            new=listing_status,
            ip_address=ip_address,
        )
        audit_status_change(
            actor=actor,
            action=AuditAction.TICKET_RELEASED,
            entity=listing.ticket,
            old=Ticket.Status.RESERVED,
            new=ticket_status,
            ip_address=ip_address,
        )
        if not expired:
            # Back on sale: fans waiting for the event get it first (rule 13).
            listing_hold_for_waitlist(listing=listing, now=now, actor=actor, ip_address=ip_address)
        if txn.payment_id:
            # A declined PaymentIntent could still be paid with another card on
            # the checkout page: cancel it at Stripe so no late charge happens.
            from payments.tasks import payment_intent_cancel

            # Lost with the broker, the intent stays open: a payment through
            # it later is refunded (_refund_if_paid_too_late).
            enqueue_on_commit(
                payment_intent_cancel,
                transaction_id,
                fallback="a payment through it later is refunded",
            )
    return True


def transaction_authentication_required(*, transaction_id: int, actor=None) -> None:
    """The card holder's bank asks them to authenticate (3-D Secure): the
    transaction waits for them, its reservation's clock still running."""
    with transaction.atomic():
        moved = Transaction.objects.filter(
            pk=transaction_id,
            status=Transaction.Status.PENDING_PAYMENT,
            payment_status=Transaction.PaymentStatus.PENDING,
        ).update(
            payment_status=Transaction.PaymentStatus.REQUIRES_ACTION, updated_at=timezone.now()
        )
        if moved == 1:
            metrics.payment_counted("requires_action")
            audit_log_record(
                actor=actor,
                action=AuditAction.TRANSACTION_AUTHENTICATION_REQUIRED,
                entity=Transaction.objects.get(pk=transaction_id),
                changes={
                    "payment_status": {
                        "from": Transaction.PaymentStatus.PENDING,
                        "to": Transaction.PaymentStatus.REQUIRES_ACTION,
                    }
                },
            )


def transaction_authentication_failed(*, transaction_id: int, reason: str, actor=None) -> bool:
    """The card holder did not pass their bank's check (3-D Secure failed or
    was abandoned): nothing was charged, and the reservation stays, so the
    buyer can try again or use another card until it expires.

    Returns True when this call recorded it (once per failed authentication).
    """
    with transaction.atomic():
        moved = Transaction.objects.filter(
            pk=transaction_id,
            status=Transaction.Status.PENDING_PAYMENT,
            payment_status=Transaction.PaymentStatus.REQUIRES_ACTION,
        ).update(payment_status=Transaction.PaymentStatus.PENDING, updated_at=timezone.now())
        if moved != 1:
            return False
        metrics.payment_counted("authentication_failed")
        audit_log_record(
            actor=actor,
            action=AuditAction.TRANSACTION_AUTHENTICATION_FAILED,
            entity=Transaction.objects.get(pk=transaction_id),
            changes={
                "payment_status": {
                    "from": Transaction.PaymentStatus.REQUIRES_ACTION,
                    "to": Transaction.PaymentStatus.PENDING,
                },
                "reason": reason,
            },
        )
    return True


def transaction_apply_intent(
    *, transaction_id: int, intent: gateway.PaymentIntentInfo, actor=None
) -> Transaction:
    """Record the PaymentIntent of a transaction and act on its state: paid when
    it succeeded; waiting for the card holder when their bank asks for
    authentication; back to waiting for a card when authentication failed;
    cancelled when the card was refused; unchanged otherwise."""
    Transaction.objects.filter(pk=transaction_id, payment_id="").update(payment_id=intent.id)
    if intent.status == "succeeded":
        transaction_mark_paid(transaction_id=transaction_id, intent=intent, actor=actor)
    elif intent.status == "requires_action":
        transaction_authentication_required(transaction_id=transaction_id, actor=actor)
    elif intent.status == "requires_payment_method" and intent.authentication_failed:
        transaction_authentication_failed(
            transaction_id=transaction_id, reason=intent.failure_code, actor=actor
        )
    elif intent.status == "canceled" or (
        intent.status == "requires_payment_method" and intent.failure_message
    ):
        transaction_release(
            transaction_id=transaction_id,
            reason="payment_failed",
            payment_failed=intent.status != "canceled",
            actor=actor,
        )
    return Transaction.objects.get(pk=transaction_id)


def transaction_payment_sync(*, transaction_id: int):
    """Ask Stripe where a transaction's payment stands and apply it (the checkout
    page calls this after Stripe.js confirms the card or the card holder's
    authentication, before any webhook). Returns a Purchase: the transaction,
    and the client secret and next action while authentication is asked."""
    txn = Transaction.objects.get(pk=transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT or not txn.payment_id:
        return Purchase(transaction=txn, client_secret="")
    intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
    txn = transaction_apply_intent(transaction_id=txn.pk, intent=intent)
    asked = intent.status == "requires_action"
    return Purchase(
        transaction=txn,
        client_secret=intent.client_secret if asked else "",
        next_action=intent.next_action if asked else None,
    )
