"""Payment jobs: periodic (celery beat, see CELERY_BEAT_SCHEDULE) and after-commit.

Every job takes ids, is idempotent and safe to run twice at once: each item
moves through a conditional UPDATE or a row lock in its service.
"""

import logging

from celery import shared_task
from django.db import transaction

from marketplace.audit import audit_log_record
from marketplace.errors import PaymentFailed, ServiceUnavailable

from . import gateway, services
from .models import Transaction

logger = logging.getLogger(__name__)

JOB_OPTIONS = {"acks_late": True, "time_limit": 300, "soft_time_limit": 240}
RETRY_OPTIONS = {
    "autoretry_for": (ServiceUnavailable,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(**JOB_OPTIONS)
def reservations_release_expired() -> int:
    return services.reservations_release_expired()


@shared_task(**JOB_OPTIONS)
def transactions_auto_confirm() -> int:
    return services.transactions_auto_confirm_due()


@shared_task(**JOB_OPTIONS)
def payouts_send_scheduled() -> int:
    return services.payouts_send_scheduled()


@shared_task(**JOB_OPTIONS)
def payout_send(payout_id: int) -> bool:
    return services.payout_send(payout_id=payout_id)


@shared_task(**JOB_OPTIONS, **RETRY_OPTIONS)
def payment_intent_cancel(transaction_id: int) -> str:
    """Cancel the PaymentIntent of a released transaction, so the abandoned
    checkout can no longer be paid."""
    txn = Transaction.objects.get(pk=transaction_id)
    if txn.status != Transaction.Status.CANCELLED or not txn.payment_id:
        return "skipped"
    intent = gateway.payment_intent_cancel(transaction_id=txn.pk, payment_intent_id=txn.payment_id)
    if intent.status == "succeeded":
        payment_refund_late.delay(txn.pk, txn.payment_id)
    return intent.status


@shared_task(**JOB_OPTIONS, **RETRY_OPTIONS)
def payment_refund_late(transaction_id: int, payment_intent_id: str) -> str:
    """Refund a payment that succeeded after its reservation had been released
    (the ticket went back on sale, so the buyer gets their money back)."""
    try:
        refund_id = gateway.refund_create(
            transaction_id=transaction_id, payment_intent_id=payment_intent_id
        )
    except PaymentFailed:
        logger.exception(
            "Late payment %s of transaction %s not refunded", payment_intent_id, transaction_id
        )
        raise
    with transaction.atomic():
        txn = Transaction.objects.select_for_update().get(pk=transaction_id)
        if txn.payment_status != Transaction.PaymentStatus.REFUNDED:
            audit_log_record(
                actor=None,
                action="transaction.late_payment_refunded",
                entity=txn,
                changes={
                    "payment_status": {"from": txn.payment_status, "to": "refunded"},
                    "payment_id": payment_intent_id,
                    "refund_id": refund_id,
                },
            )
            txn.payment_status = Transaction.PaymentStatus.REFUNDED
            txn.save(update_fields=["payment_status", "updated_at"])
    return refund_id
