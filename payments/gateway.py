"""The one door to Stripe: every call goes through a client pointed at STRIPE_API_BASE.

In the embedded run and the tests that is localstripe; in production, Stripe.
Money becomes integer minor units here and nowhere else. Every write carries
an idempotency key made from our own ids (STYLE.md, 7), so a retried call
cannot charge, refund or pay twice. Stripe's errors leave this module as the
domain errors PAYMENT_FAILED (the card or the request was refused) and
SERVICE_UNAVAILABLE (Stripe could not be reached or failed).
"""

import contextlib
import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings

from marketplace.errors import PaymentFailed, ServiceUnavailable
from marketplace.money import quantize_money

logger = logging.getLogger(__name__)

# Currencies Stripe counts without a minor unit.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX"})


def stripe_client(
    *, timeout: float | None = None, api_base: str | None = None
) -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": api_base or settings.STRIPE_API_BASE},
        max_network_retries=0,
        http_client=stripe.new_default_http_client(
            timeout=timeout if timeout is not None else settings.STRIPE_TIMEOUT_SECONDS
        ),
    )


def gateway_ping(*, timeout: float = 2.0, api_base: str | None = None) -> bool:
    """True when the payment service (at `api_base`, by default STRIPE_API_BASE)
    answers an authenticated read of the balance."""
    try:
        stripe_client(timeout=timeout, api_base=api_base).v1.balance.retrieve()
    except stripe.StripeError:
        return False
    return True


def to_minor_units(amount: Decimal, currency: str) -> int:
    """55.00 EUR -> 5500; amounts are exact Decimals, never floats."""
    amount = quantize_money(amount)
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount)
    return int(amount * 100)


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str  # Stripe's: requires_payment_method, processing, succeeded, canceled...
    client_secret: str
    amount: int
    currency: str
    failure_message: str = ""


def _intent_info(intent) -> PaymentIntentInfo:
    data = intent.to_dict()
    error = data.get("last_payment_error") or {}
    return PaymentIntentInfo(
        id=data["id"],
        status=data["status"],
        client_secret=data.get("client_secret") or "",
        amount=data["amount"],
        currency=data["currency"],
        failure_message=error.get("message", ""),
    )


@contextlib.contextmanager
def _stripe_errors(action: str):
    """Turn Stripe's exceptions into the domain's two payment errors."""
    try:
        yield
    except stripe.CardError as exc:
        raise PaymentFailed(
            exc.user_message or "Your card was declined.",
            details={"reason": exc.code or "card_declined"},
        ) from exc
    except stripe.InvalidRequestError as exc:
        logger.warning("Stripe refused %s: %s", action, exc.user_message)
        raise PaymentFailed(
            "The payment could not be processed with these details.",
            details={"reason": exc.code or "invalid_request"},
        ) from exc
    except stripe.StripeError as exc:
        # Unreachable, timed out, rate-limited, 5xx, or our keys refused:
        # nothing the buyer can fix; the caller releases what it reserved.
        logger.error("Stripe unavailable during %s: %r", action, exc)
        raise ServiceUnavailable(
            "The payment service is unavailable. Nothing was charged; please try again."
        ) from exc


def payment_intent_create(
    *,
    transaction_id: int,
    amount: Decimal,
    currency: str,
    payment_method_id: str = "",
) -> PaymentIntentInfo:
    """A PaymentIntent for one transaction, confirmed at once when a payment
    method is given (server-side confirmation), else left for Stripe.js."""
    params = {
        "amount": to_minor_units(amount, currency),
        "currency": currency.lower(),
        "payment_method_types": ["card"],
        "metadata": {"transaction_id": str(transaction_id)},
    }
    if payment_method_id:
        params.update(payment_method=payment_method_id, confirm=True)
    with _stripe_errors("payment_intent_create"):
        intent = stripe_client().v1.payment_intents.create(
            params=params,
            options={"idempotency_key": f"encore-txn-{transaction_id}-intent"},
        )
    return _intent_info(intent)


def payment_intent_confirm(
    *, transaction_id: int, payment_intent_id: str, payment_method_id: str
) -> PaymentIntentInfo:
    """Attach a payment method to an existing PaymentIntent and confirm it."""
    client = stripe_client()
    with _stripe_errors("payment_intent_confirm"):
        client.v1.payment_intents.update(
            payment_intent_id,
            params={"payment_method": payment_method_id},
            options={"idempotency_key": f"encore-txn-{transaction_id}-pm-{payment_method_id}"},
        )
        intent = client.v1.payment_intents.confirm(
            payment_intent_id,
            options={"idempotency_key": f"encore-txn-{transaction_id}-confirm-{payment_method_id}"},
        )
    return _intent_info(intent)


def payment_intent_retrieve(*, payment_intent_id: str) -> PaymentIntentInfo:
    with _stripe_errors("payment_intent_retrieve"):
        intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    return _intent_info(intent)


def payment_intent_cancel(*, transaction_id: int, payment_intent_id: str) -> PaymentIntentInfo:
    """Cancel a PaymentIntent and return its final state.

    Cancelling one that is already cancelled, or that has succeeded meanwhile,
    is not an error: the caller reads the returned status and acts on it.
    """
    client = stripe_client()
    try:
        with _stripe_errors("payment_intent_cancel"):
            intent = client.v1.payment_intents.cancel(
                payment_intent_id,
                options={"idempotency_key": f"encore-txn-{transaction_id}-cancel"},
            )
    except PaymentFailed:
        # Stripe refuses to cancel an intent that is no longer cancellable.
        return payment_intent_retrieve(payment_intent_id=payment_intent_id)
    return _intent_info(intent)


def refund_create(*, transaction_id: int, payment_intent_id: str) -> str:
    """Refund a payment in full; returns Stripe's refund id."""
    with _stripe_errors("refund_create"):
        refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "metadata": {"transaction_id": str(transaction_id)},
            },
            options={"idempotency_key": f"encore-txn-{transaction_id}-refund"},
        )
    return refund.id


def payout_create(*, payout_id: int, amount: Decimal, currency: str) -> str:
    """Pay a seller; returns the gateway's reference for the payout.

    This is Stripe's Payouts API (localstripe pays out euros only). Paying
    into sellers' own Stripe accounts (Connect transfers) would replace this
    one call.
    """
    with _stripe_errors("payout_create"):
        payout = stripe_client().v1.payouts.create(
            params={
                "amount": to_minor_units(amount, currency),
                "currency": currency.lower(),
                "metadata": {"payout_id": str(payout_id)},
            },
            options={"idempotency_key": f"encore-payout-{payout_id}"},
        )
    return payout.id
