"""Every write of the payments domain; the API and the pages call these."""

from .accounts import payout_account_apply, payout_account_onboard, payout_account_sync
from .chargebacks import chargeback_close, chargeback_open
from .disputes import (
    dispute_open,
    dispute_resolve_refund,
    dispute_resolve_release,
    transaction_refund,
)
from .escrow import (
    transaction_auto_confirm,
    transaction_confirm,
    transactions_auto_confirm_due,
)
from .event_changes import (
    event_cancellation_step,
    event_cancellations_unfinished,
    event_moved_notify_step,
    event_moves_unnotified,
    transaction_postponement_refund,
)
from .payment import (
    transaction_authentication_failed,
    transaction_mark_paid,
    transaction_payment_sync,
    transaction_release,
)
from .payouts import (
    payout_account_reminders,
    payout_retry,
    payout_send,
    payouts_send_due,
)
from .purchase import (
    Purchase,
    payment_method_validate,
    transaction_abandon,
    transaction_pay,
    transaction_purchase,
)
from .reservations import (
    late_payments_refund,
    reservation_extend,
    reservation_release_expired,
    reservations_release_expired,
    transaction_intent_cancel,
    transaction_refund_late_payment,
)
from .webhooks import stripe_event_receive

__all__ = [
    "Purchase",
    "chargeback_close",
    "chargeback_open",
    "dispute_open",
    "dispute_resolve_refund",
    "dispute_resolve_release",
    "event_cancellation_step",
    "event_cancellations_unfinished",
    "event_moved_notify_step",
    "event_moves_unnotified",
    "late_payments_refund",
    "payment_method_validate",
    "payout_account_apply",
    "payout_account_onboard",
    "payout_account_reminders",
    "payout_account_sync",
    "payout_retry",
    "payout_send",
    "payouts_send_due",
    "reservation_extend",
    "reservation_release_expired",
    "reservations_release_expired",
    "stripe_event_receive",
    "transaction_abandon",
    "transaction_authentication_failed",
    "transaction_auto_confirm",
    "transaction_confirm",
    "transaction_intent_cancel",
    "transaction_mark_paid",
    "transaction_pay",
    "transaction_payment_sync",
    "transaction_purchase",
    "transaction_refund",
    "transaction_postponement_refund",
    "transaction_refund_late_payment",
    "transaction_release",
    "transactions_auto_confirm_due",
]
