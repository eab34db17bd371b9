"""The end of a reservation: extended once at the buyer's request, released
when its time is up, its PaymentIntent cancelled, and a payment that still
succeeds afterwards refunded."""

import datetime
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.core import metrics
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import (
    PaymentFailed,
    ServiceUnavailable,
    TicketNotAvailable,
    ValidationFailed,
)
from messaging.models import Notification
from messaging.services import notification_create
from payments import gateway
from payments.models import Transaction
from payments.selectors import (
    RESERVATION_EXTEND_WINDOW,
    RESERVATION_EXTENSION,
    reservation_extend_opens_at,
    transaction_get_for_buyer,
)

from .payment import payment_payload, transaction_mark_paid, transaction_release

logger = logging.getLogger(__name__)

# The refund task of a late payment normally settles it within seconds; the
# periodic job leaves it that long before taking over.
LATE_REFUND_GRACE = datetime.timedelta(minutes=1)


def reservation_extend(*, buyer, transaction_id: int, ip_address=None) -> Transaction:
    """Give the buyer RESERVATION_EXTENSION more to pay (WCAG 2.2 SC 2.2.1,
    Timing Adjustable): once per reservation, in its last
    RESERVATION_EXTEND_WINDOW. The PaymentIntent is untouched (it does not
    expire); the release job reads the new reserved_until.

    Raises NotFound (not the buyer's), PermissionDenied (its seller),
    TicketNotAvailable (no longer awaiting payment, or expired: reason
    RESERVATION_EXPIRED) or ValidationFailed (reason EXTENSION_TOO_EARLY, with
    availableAt; or ALREADY_EXTENDED).
    """
    txn = transaction_get_for_buyer(user=buyer, transaction_id=transaction_id)
    now = timezone.now()
    with transaction.atomic():
        # One conditional UPDATE, so a double click or two tabs extend once: of
        # two requests racing, PostgreSQL lets one change the row; the other
        # re-reads it and finds reservation_extended_at set. It also cannot
        # extend a reservation the release job already counts as expired
        # (reserved_until <= now there, > now here).
        extended = Transaction.objects.filter(
            pk=txn.pk,
            buyer=buyer,
            status=Transaction.Status.PENDING_PAYMENT,
            reservation_extended_at__isnull=True,
            reserved_until__gt=now,
            reserved_until__lt=now + RESERVATION_EXTEND_WINDOW,
        ).update(
            reserved_until=F("reserved_until") + RESERVATION_EXTENSION,
            reservation_extended_at=now,
            updated_at=now,
        )
        if extended == 1:
            txn.refresh_from_db()
            audit_log_record(
                actor=buyer,
                action=AuditAction.TRANSACTION_RESERVATION_EXTENDED,
                entity=txn,
                changes={
                    "reserved_until": {
                        "from": (txn.reserved_until - RESERVATION_EXTENSION).isoformat(),
                        "to": txn.reserved_until.isoformat(),
                    }
                },
                ip_address=ip_address,
            )
            return txn
    txn.refresh_from_db()
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        raise TicketNotAvailable(_("This purchase is no longer waiting for payment."))
    if txn.reservation_extended_at is not None:
        raise ValidationFailed(
            _("You already had more time once: the reservation cannot be extended again."),
            details={"field": "transaction", "reason": "ALREADY_EXTENDED"},
        )
    if txn.reserved_until is None or txn.reserved_until <= now:
        raise TicketNotAvailable(
            _("Your reservation has expired and the ticket is going back on sale."),
            details={"reason": "RESERVATION_EXPIRED"},
        )
    opens_at = reservation_extend_opens_at(txn)
    minutes = int(RESERVATION_EXTEND_WINDOW.total_seconds() // 60)
    raise ValidationFailed(
        ngettext(
            "You can ask for more time in the last minute of your reservation, from %(time)s.",
            "You can ask for more time in the last %(minutes)s minutes of your reservation, "
            "from %(time)s.",
            minutes,
        )
        % {"minutes": minutes, "time": time_format(timezone.localtime(opens_at), "H:i:s")},
        details={
            "field": "transaction",
            "reason": "EXTENSION_TOO_EARLY",
            "availableAt": opens_at.isoformat(),
        },
    )


def reservation_release_expired(*, transaction_id: int) -> bool:
    """Release one reservation whose time is up: cancel its PaymentIntent at
    Stripe first, then the transaction. If Stripe says the payment succeeded
    meanwhile, the transaction is paid instead. Safe to run twice at once.

    Returns True when this call released it.
    """
    txn = Transaction.objects.filter(
        pk=transaction_id,
        status=Transaction.Status.PENDING_PAYMENT,
        reserved_until__lte=timezone.now(),
    ).first()
    if txn is None:
        return False
    if txn.payment_id:
        try:
            intent = gateway.payment_intent_cancel(
                transaction_id=txn.pk, payment_intent_id=txn.payment_id
            )
        except ServiceUnavailable:
            logger.warning("Reservation %s kept: Stripe unreachable, retried later.", txn.pk)
            return False
        if intent.status == "succeeded":
            transaction_mark_paid(transaction_id=txn.pk, intent=intent)
            return False
    return transaction_release(transaction_id=txn.pk, reason="reservation_expired")


def reservations_release_expired(*, limit: int = 500) -> int:
    due = Transaction.objects.filter(
        status=Transaction.Status.PENDING_PAYMENT, reserved_until__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    return sum(reservation_release_expired(transaction_id=pk) for pk in list(due))


def transaction_refund_late_payment(*, transaction_id: int, payment_intent_id: str) -> str:
    """Refund in full a payment that succeeded after its reservation was released
    (the ticket went back on sale); the buyer is told. Safe to run twice: the
    refund's idempotency key comes from the transaction. Returns the refund id.

    Raises PaymentFailed or ServiceUnavailable (the task retries the latter).
    """
    refund_id = gateway.refund_create(
        transaction_id=transaction_id, payment_intent_id=payment_intent_id
    )
    with transaction.atomic():
        txn = (
            Transaction.objects.select_for_update(of=("self",))
            .select_related("listing__ticket__event", "buyer")
            .get(pk=transaction_id)
        )
        if txn.payment_status == Transaction.PaymentStatus.REFUNDED:
            return refund_id
        audit_log_record(
            actor=None,
            action=AuditAction.TRANSACTION_LATE_PAYMENT_REFUNDED,
            entity=txn,
            changes={
                "payment_status": {"from": txn.payment_status, "to": "refunded"},
                "payment_id": payment_intent_id,
                "refund_id": refund_id,
            },
        )
        txn.payment_status = Transaction.PaymentStatus.REFUNDED
        txn.save(update_fields=["payment_status", "updated_at"])
        metrics.payment_counted("refunded")
        notification_create(
            user=txn.buyer,
            type=Notification.Type.REFUND,
            payload=payment_payload(txn, role="buyer"),
        )
    return refund_id


def transaction_intent_cancel(*, transaction_id: int) -> str:
    """Cancel the PaymentIntent of a released transaction, so the abandoned
    checkout can no longer be paid; if it was paid meanwhile, refund it.
    Returns the PaymentIntent's final status ("skipped" when there is none)."""
    txn = Transaction.objects.get(pk=transaction_id)
    if txn.status != Transaction.Status.CANCELLED or not txn.payment_id:
        return "skipped"
    intent = gateway.payment_intent_cancel(transaction_id=txn.pk, payment_intent_id=txn.payment_id)
    if intent.status == "succeeded":
        transaction_refund_late_payment(transaction_id=txn.pk, payment_intent_id=txn.payment_id)
    return intent.status


def late_payments_refund(*, limit: int = 100) -> int:
    """Periodic: refund the late payments recorded on cancelled transactions
    that no refund task has settled (the task was lost with the broker, or
    Stripe stayed unreachable through its retries). Returns how many it refunded.

    Safe to run twice at once, and beside the task: the refund's idempotency
    key and the row lock in transaction_refund_late_payment refund once.
    """
    due = Transaction.objects.filter(
        status=Transaction.Status.CANCELLED,
        payment_status=Transaction.PaymentStatus.SUCCEEDED,
        updated_at__lte=timezone.now() - LATE_REFUND_GRACE,
    ).exclude(payment_id="")
    refunded = 0
    for pk, payment_id in list(due.values_list("pk", "payment_id")[:limit]):
        try:
            transaction_refund_late_payment(transaction_id=pk, payment_intent_id=payment_id)
        except ServiceUnavailable:
            logger.warning("Late payment of transaction %s: Stripe unreachable, retried later.", pk)
            break
        except PaymentFailed as exc:
            logger.error("Late payment of transaction %s not refunded: %s", pk, exc.message)
            continue
        refunded += 1
    return refunded
