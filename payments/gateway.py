"""The one door to Stripe: every call goes through a client pointed at STRIPE_API_BASE.

In the embedded run and the tests that is localstripe; in production, Stripe.
Money becomes integer minor units here and nowhere else.
"""

import stripe
from django.conf import settings


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
