"""Every write of the payments domain; the API and the pages call these."""

from .disputes import (
    dispute_open,
    dispute_resolve_refund,
    dispute_resolve_release,
    transaction_refund,
)
from .escrow import (
    payout_send,
    payouts_send_scheduled,
    transaction_auto_confirm,
    transaction_confirm,
    transactions_auto_confirm_due,
)
from .payment import (
    transaction_mark_paid,
    transaction_payment_sync,
    transaction_release,
)
from .purchase import Purchase, transaction_pay, transaction_purchase
from .reservations import (
    late_payments_refund,
    reservation_release_expired,
    reservations_release_expired,
    transaction_intent_cancel,
    transaction_refund_late_payment,
)
from .webhooks import stripe_event_receive

__all__ = [
    "Purchase",
    "dispute_open",
    "dispute_resolve_refund",
    "dispute_resolve_release",
    "late_payments_refund",
    "payout_send",
    "payouts_send_scheduled",
    "reservation_release_expired",
    "reservations_release_expired",
    "stripe_event_receive",
    "transaction_auto_confirm",
    "transaction_confirm",
    "transaction_intent_cancel",
    "transaction_mark_paid",
    "transaction_pay",
    "transaction_payment_sync",
    "transaction_purchase",
    "transaction_refund",
    "transaction_refund_late_payment",
    "transaction_release",
    "transactions_auto_confirm_due",
]
