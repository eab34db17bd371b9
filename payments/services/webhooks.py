"""Stripe's webhook events: verified, recorded once, then applied (ARCHITECTURE.md, rule 8).

Every event is stored under its unique Stripe id in the same database
transaction as its effect, so a second delivery changes nothing. Each effect
is itself a conditional state change, so events arriving out of order (a
dispute closed before its creation is seen, an older account update after a
newer one) still leave the state they describe, once.
"""

import datetime
import json
import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace.core import metrics
from marketplace.core.errors import ValidationFailed
from payments import gateway
from payments.models import StripeEvent, Transaction

from .accounts import payout_account_apply
from .chargebacks import chargeback_close, chargeback_open
from .payment import (
    transaction_authentication_failed,
    transaction_authentication_required,
    transaction_mark_paid,
    transaction_release,
)

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


# The events Encore acts on; any other is recorded and changes nothing.
HANDLED = ("payment_intent.", "account.updated", "charge.dispute.")


def _signature_checked(payload: bytes, signature: str) -> None:
    """The body is Stripe's, signed with the platform endpoint's secret or the
    Connect endpoint's (connected accounts' events come through that one)."""
    secrets = [settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET]
    for secret in filter(None, secrets):
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
        except (UnicodeDecodeError, stripe.SignatureVerificationError):
            continue
        return
    raise ValidationFailed(
        _("The webhook signature or body is not valid."), details={"reason": "INVALID_SIGNATURE"}
    )


def _event_checked(payload: bytes) -> dict:
    """The event, if the body is a JSON object with the fields we read: an id,
    a type, and for an event Encore acts on, an object with an id. A signed
    body without them is refused like a bad signature, so no malformed body
    can end in a 500."""
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        event = None
    valid = (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and bool(event["id"])
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created", 0), int)
    )
    if valid and event["type"].startswith(HANDLED):
        obj = (
            (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
        )
        valid = isinstance(obj, dict) and isinstance(obj.get("id"), str) and bool(obj["id"])
    if not valid:
        raise ValidationFailed(
            _("The webhook body is not a Stripe event."), details={"reason": "INVALID_EVENT"}
        )
    return event


def _apply_intent_event(kind: str, intent: dict) -> None:
    txn = _transaction_of(intent)
    if txn is None:
        logger.info("Stripe event %s for an unknown PaymentIntent %s", kind, intent["id"])
        return
    info = gateway.intent_info(intent)
    Transaction.objects.filter(pk=txn.pk, payment_id="").update(payment_id=intent["id"])
    if kind == "payment_intent.succeeded":
        transaction_mark_paid(transaction_id=txn.pk, intent=info)
    elif kind == "payment_intent.requires_action":
        transaction_authentication_required(transaction_id=txn.pk)
    elif kind == "payment_intent.payment_failed" and info.authentication_failed:
        # The card holder failed their bank's check: the buyer may try again.
        transaction_authentication_failed(transaction_id=txn.pk, reason=info.failure_code)
    elif kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
        transaction_release(
            transaction_id=txn.pk,
            reason=kind.removeprefix("payment_intent."),
            payment_failed=kind == "payment_intent.payment_failed",
        )


def _apply(event: dict) -> None:
    kind = event["type"]
    if not kind.startswith(HANDLED):
        return
    obj = event["data"]["object"]
    if kind.startswith("payment_intent."):
        _apply_intent_event(kind, obj)
    elif kind == "account.updated":
        as_of = datetime.datetime.fromtimestamp(event.get("created") or 0, tz=datetime.UTC)
        payout_account_apply(info=gateway.account_info(obj), as_of=as_of)
    elif kind == "charge.dispute.created":
        chargeback_open(dispute=obj)
    elif kind == "charge.dispute.closed":
        chargeback_close(dispute=obj)


@metrics.webhook_counted
def stripe_event_receive(*, payload: bytes, signature: str) -> bool:
    """Verify a webhook delivery and apply it once.

    Returns True when the event was new, False for a replay (nothing changes).
    Raises ValidationFailed for a missing, wrong or stale signature or a body
    that is not a Stripe event; nothing is recorded then. A failure while
    applying it (Stripe out of reach for a transfer reversal, the database)
    records nothing either: the caller answers 500 and Stripe delivers again.
    """
    _signature_checked(payload, signature)
    data = _event_checked(payload)
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
