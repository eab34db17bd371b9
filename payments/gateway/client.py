"""The client every Stripe call goes through, and Stripe's errors in the domain's words."""

import contextlib
import functools
import logging
import os
from decimal import Decimal

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from marketplace.core.errors import PaymentFailed, ServiceUnavailable, ValidationFailed
from marketplace.core.money import quantize_money

logger = logging.getLogger("payments.gateway")

# Currencies Stripe counts without a minor unit.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX"})


def stripe_client(
    *, timeout: float | None = None, api_base: str | None = None
) -> stripe.StripeClient:
    """The client for Stripe at `api_base` (STRIPE_API_BASE by default), each call
    allowed `timeout` seconds (STRIPE_TIMEOUT_SECONDS by default).

    One client per process and settings, shared by the process's threads: each
    thread keeps its connection to Stripe open from one call to the next
    (HTTP keep-alive), so a purchase does not pay for a new TCP and TLS
    handshake with every call. A forked process (a gunicorn or Celery worker)
    makes its own, never sharing its parent's connections. With
    STRIPE_KEEP_ALIVE off, every call gets a client and a connection of its own.
    """
    args = (
        settings.STRIPE_SECRET_KEY,
        api_base or settings.STRIPE_API_BASE,
        timeout if timeout is not None else settings.STRIPE_TIMEOUT_SECONDS,
    )
    if not settings.STRIPE_KEEP_ALIVE:
        return _client.__wrapped__(os.getpid(), *args)  # its own, dropped after the call
    return _client(os.getpid(), *args)


@functools.lru_cache(maxsize=8)
def _client(pid: int, secret_key: str, api_base: str, timeout: float) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base},
        max_network_retries=0,
        # Stripe's requests-based client: a session (its pool of kept-alive
        # connections) per thread.
        http_client=stripe.new_default_http_client(timeout=timeout),
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


def from_minor_units(amount: int, currency: str) -> Decimal:
    """5500 EUR -> Decimal("55.00")."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return quantize_money(Decimal(amount))
    return quantize_money(Decimal(amount) / 100)


def object_id(value) -> str:
    """The id of a field Stripe gives as an id or, when expanded, as the object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(getattr(value, "id", "") or "")


@contextlib.contextmanager
def stripe_errors(action: str):
    """Turn Stripe's exceptions into the domain's payment errors: PAYMENT_FAILED
    (the card or the request was refused), VALIDATION_ERROR (a payment method
    Stripe does not know) and SERVICE_UNAVAILABLE (Stripe out of reach)."""
    try:
        yield
    except stripe.CardError as exc:
        raise PaymentFailed(
            exc.user_message or _("Your card was declined."),
            details={"reason": exc.code or "card_declined"},
        ) from exc
    except stripe.InvalidRequestError as exc:
        logger.warning("Stripe refused %s: %s", action, exc.user_message)
        if exc.code == "resource_missing" and exc.param in ("payment_method", "id"):
            raise ValidationFailed(
                _("This card is not known to the payment service."),
                details={"field": "payment_method_id", "reason": "UNKNOWN_PAYMENT_METHOD"},
            ) from exc
        raise PaymentFailed(
            _("The payment could not be processed with these details."),
            details={"reason": exc.code or "invalid_request"},
        ) from exc
    except stripe.StripeError as exc:
        # Unreachable, timed out, rate-limited, 5xx, or our keys refused:
        # nothing the buyer can fix; the caller releases what it reserved.
        logger.error("Stripe unavailable during %s: %r", action, exc)
        raise ServiceUnavailable(
            _("The payment service is unavailable. Nothing was charged; please try again.")
        ) from exc
