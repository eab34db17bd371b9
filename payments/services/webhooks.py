"""Stripe's webhook events: verified, recorded once, then applied (ARCHITECTURE.md, rule 8)."""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from marketplace.errors import ValidationFailed
from payments.models import StripeEvent, Transaction

from .payment import transaction_mark_paid, transaction_release

logger = logging.getLogger(__name__)

# Signatures older than this are refused: a captured request cannot be replayed later.
SIGNATURE_TOLERANCE_SECONDS = 300


def _transaction_of(intent: dict) -> Transaction | None:
    # The PaymentIntent's id is recorded on the transaction, except in the
    # moment between Stripe's answer and our write: the metadata covers it.
    txn = Transaction.objects.filter(payment_gateway="stripe", payment_id=intent["id"]).first()
    if txn is not None:
        return txn
    transaction_id = (intent.get("metadata") or {}).get("transaction_id", "")
    if str(transaction_id).isdigit():
        return Transaction.objects.filter(
            pk=int(transaction_id), payment_id__in=("", intent["id"])
        ).first()
    return None


def _event_checked(event: dict) -> dict:
    """The event, if it has the fields we read: an id, a type, and for a
    PaymentIntent event the PaymentIntent's id. A signed event without them is
    refused like a bad signature, so no malformed body can end in a 500."""
    kind = event.get("type")
    valid = isinstance(event.get("id"), str) and event["id"] and isinstance(kind, str)
    if valid and kind.startswith("payment_intent."):
        intent = (event.get("data") or {}).get("object")
        valid = isinstance(intent, dict) and isinstance(intent.get("id"), str)
    if not valid:
        raise ValidationFailed(
            "The webhook body is not a Stripe event.", details={"reason": "INVALID_EVENT"}
        )
    return event


def _apply(event: dict) -> None:
    kind = event["type"]
    if not kind.startswith("payment_intent."):
        return
    intent = event["data"]["object"]
    txn = _transaction_of(intent)
    if txn is None:
        logger.info("Stripe event %s for an unknown PaymentIntent %s", event["id"], intent["id"])
        return
    if kind == "payment_intent.succeeded":
        transaction_mark_paid(transaction_id=txn.pk, payment_intent_id=intent["id"])
    elif kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
        Transaction.objects.filter(pk=txn.pk, payment_id="").update(payment_id=intent["id"])
        transaction_release(
            transaction_id=txn.pk,
            reason=kind.removeprefix("payment_intent."),
            payment_failed=kind == "payment_intent.payment_failed",
        )


def stripe_event_receive(*, payload: bytes, signature: str) -> bool:
    """Verify a webhook delivery and apply it once.

    Returns True when the event was new, False for a replay (nothing changes).
    Raises ValidationFailed for a missing, wrong or stale signature or a body
    that is not a Stripe event; nothing is recorded then.
    """
    try:
        event = stripe.Webhook.construct_event(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise ValidationFailed(
            "The webhook signature or body is not valid.",
            details={"reason": "INVALID_SIGNATURE"},
        ) from exc
    data = _event_checked(event.to_dict())
    try:
        with transaction.atomic():
            # The unique event id is the replay guard: a second delivery, even
            # one running at the same moment, fails this insert and changes nothing.
            StripeEvent.objects.create(event_id=data["id"], type=data["type"], payload=data)
            _apply(data)
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=data["id"]).exists():
            return False
        raise
    return True
