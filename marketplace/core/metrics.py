"""Prometheus metrics that the code counts as things happen (prometheus_client).

The services and their callers call the named helpers below; none of them
decides anything. What is read from the database or the broker when
Prometheus scrapes (the outbox, the Celery queue...) is in
marketplace.scrape, with the /metrics view.

Under gunicorn each worker process counts on its own; with
PROMETHEUS_MULTIPROC_DIR set (before the process starts), prometheus_client
keeps the counts in files there and a scrape adds up every process's
(docs/operations.md, "Watching Encore"). Kernel code: no app is imported.
"""

import functools
import json
import re

from django.db import transaction
from prometheus_client import Counter, Histogram

# Seconds; the top buckets are a purchase waiting on Stripe's timeouts.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Any other method is counted as "other": a client cannot add series.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUEST_LATENCY = Histogram(
    "encore_http_request_duration_seconds",
    "Time to answer a request, by the URL's name (never the raw path) and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
RESPONSES = Counter(
    "encore_http_responses",
    "Responses by the URL's name and status code.",
    ["view", "status"],
)
PURCHASES = Counter(
    "encore_purchases",
    "Purchase attempts by outcome: reserved, paid, requires_action, declined, conflict, "
    "expired, refused, unavailable, error.",
    ["outcome"],
)
PAYMENTS = Counter(
    "encore_payments",
    "Changes of a transaction's payment_status, by the status it reached: succeeded, "
    "requires_action, authentication_failed, failed, refunded, succeeded_late.",
    ["outcome"],
)
WEBHOOKS = Counter(
    "encore_stripe_webhooks",
    "Stripe webhook deliveries by event type and result: applied, replay, refused, "
    "unavailable, error.",
    ["event_type", "result"],
)
CACHED_ANSWERS = Counter(
    "encore_cached_answers",
    "Shared answers read through the cache, by part (event, event_tickets, "
    "api_search) and outcome: hit (served as stored) or miss (built from the database).",
    ["part", "outcome"],
)

# Stripe's event types ("payment_intent.succeeded"), and nothing else.
EVENT_TYPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+){1,4}")
# A purchase refused by a domain error, by the error's code.
PURCHASE_OUTCOMES = {
    "TICKET_NOT_AVAILABLE": "conflict",
    "PAYMENT_FAILED": "declined",
    "LISTING_EXPIRED": "expired",
    "SERVICE_UNAVAILABLE": "unavailable",
}


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUEST_LATENCY.labels(view=view, method=method).observe(seconds)
    RESPONSES.labels(view=view, status=str(status)).inc()


def cache_answer_counted(part: str, *, hit: bool) -> None:
    CACHED_ANSWERS.labels(part=part, outcome="hit" if hit else "miss").inc()


def purchase_counted(service):
    """Counts each call of the purchase service by its outcome: what it returned
    (the transaction's state) or the domain error it raised."""

    @functools.wraps(service)
    def counted(*args, **kwargs):
        try:
            purchase = service(*args, **kwargs)
        except Exception as exc:
            code = getattr(exc, "code", None)
            outcome = PURCHASE_OUTCOMES.get(code, "refused") if code else "error"
            PURCHASES.labels(outcome=outcome).inc()
            raise
        txn = purchase.transaction
        if txn.status == "paid":
            outcome = "paid"
        elif txn.payment_status == "requires_action":
            outcome = "requires_action"
        else:
            outcome = "reserved"
        PURCHASES.labels(outcome=outcome).inc()
        return purchase

    return counted


def payment_counted(outcome: str) -> None:
    """A transaction's payment_status changed to `outcome`; counted once the
    change commits (a rolled-back change counts nothing)."""
    transaction.on_commit(lambda: PAYMENTS.labels(outcome=outcome).inc())


def _event_type(payload: bytes) -> str:
    try:
        kind = json.loads(payload).get("type")
    except (ValueError, AttributeError):
        return "unknown"
    return kind if isinstance(kind, str) and EVENT_TYPE.fullmatch(kind) else "unknown"


def webhook_counted(receive):
    """Counts each delivery to the Stripe webhook service by its result. A
    refused delivery (bad signature or body) is counted under event type
    "unknown": its body is not Stripe's, and must not name a series."""

    @functools.wraps(receive)
    def counted(*, payload: bytes, signature: str):
        try:
            new = receive(payload=payload, signature=signature)
        except Exception as exc:
            code = getattr(exc, "code", None)
            if code == "VALIDATION_ERROR":
                WEBHOOKS.labels(event_type="unknown", result="refused").inc()
            else:
                result = "unavailable" if code == "SERVICE_UNAVAILABLE" else "error"
                WEBHOOKS.labels(event_type=_event_type(payload), result=result).inc()
            raise
        result = "applied" if new else "replay"
        WEBHOOKS.labels(event_type=_event_type(payload), result=result).inc()
        return new

    return counted
