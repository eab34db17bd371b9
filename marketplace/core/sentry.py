"""Sentry for the site, the API and the Celery tasks, when SENTRY_DSN is set.

Started by MarketplaceConfig.ready(), so every process that loads Django (web
workers, Celery workers, beat, management commands) reports its errors. No
personal data is sent: no cookies, no user, no request bodies, no client
address; values under a name like a secret or a person's detail are
replaced, and email addresses are masked wherever they appear.
"""

import re

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

# Names (of fields, headers, variables) whose values never leave: Sentry's
# defaults plus Encore's secrets and people's details.
DENYLIST = [
    *DEFAULT_DENYLIST,
    "stripe_signature",
    "client_secret",
    "payment_method_id",
    "idempotency_key",
    "access_token",
    "refresh_token",
    "barcode",
    "otp",
    "totp",
    "recovery_codes",
]
PII_DENYLIST = [
    *DEFAULT_PII_DENYLIST,
    "client_ip",
    "email",
    "phone",
    "first_name",
    "last_name",
    "address",
    "postal_code",
    "latitude",
    "longitude",
]
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MASK = "[email]"
# A session's cache key holds the session's id (the Redis breadcrumbs quote it):
# whoever reads it could log in as its owner.
SESSION_KEY = re.compile(r"(django\.contrib\.sessions\.cache(?:d_db)?)[^\s'\"]+")
SESSION_MASK = r"\1[session]"


def _mask(value):
    """`value` with every email address and session key masked, through dicts,
    lists and strings."""
    if isinstance(value, str):
        return SESSION_KEY.sub(SESSION_MASK, EMAIL.sub(MASK, value))
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def scrub_event(event, hint):
    """before_send: an error's message, exception values, breadcrumbs and local
    variables may quote an address ("<User: fan@example.com>")."""
    event.pop("user", None)
    return _mask(event)


def sentry_init(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float, **options
) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        # Bodies carry names, addresses, messages and ticket details.
        max_request_body_size="never",
        event_scrubber=EventScrubber(
            denylist=list(DENYLIST), recursive=True, pii_denylist=list(PII_DENYLIST)
        ),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
