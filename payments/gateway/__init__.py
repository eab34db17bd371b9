"""The one door to Stripe: every call goes through a client pointed at STRIPE_API_BASE.

In the embedded run and the tests that is the local Stripe emulator; in
production, Stripe. Money becomes integer minor units here and nowhere else.
Every write carries an idempotency key made from our own ids (STYLE.md, 7), so
a retried call cannot charge, refund or transfer twice. Stripe's errors leave
this package as the domain errors PAYMENT_FAILED (the card or the request was
refused), VALIDATION_ERROR (an unknown payment method) and SERVICE_UNAVAILABLE
(Stripe could not be reached or failed).
"""

from marketplace.core.errors import PaymentFailed, ServiceUnavailable

from .client import (
    from_minor_units,
    gateway_ping,
    object_id,
    stripe_client,
    to_minor_units,
)
from .connect import (
    AccountInfo,
    account_create,
    account_info,
    account_link_create,
    account_retrieve,
    charge_of,
    transfer_create,
    transfer_reversal_create,
)
from .intents import (
    PaymentIntentInfo,
    intent_info,
    payment_intent_cancel,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_retrieve,
    payment_method_check,
    refund_create,
)

__all__ = [
    "AccountInfo",
    "PaymentFailed",
    "PaymentIntentInfo",
    "ServiceUnavailable",
    "account_create",
    "account_info",
    "account_link_create",
    "account_retrieve",
    "charge_of",
    "from_minor_units",
    "gateway_ping",
    "intent_info",
    "object_id",
    "payment_intent_cancel",
    "payment_intent_confirm",
    "payment_intent_create",
    "payment_intent_retrieve",
    "payment_method_check",
    "refund_create",
    "stripe_client",
    "to_minor_units",
    "transfer_create",
    "transfer_reversal_create",
]
