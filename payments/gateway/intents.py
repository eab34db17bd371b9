"""Buyers' payments: PaymentIntents confirmed with a PaymentMethod, 3-D Secure, refunds."""

from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.utils.translation import gettext as _

from marketplace.core.errors import PaymentFailed, ValidationFailed

from .client import object_id, stripe_client, stripe_errors, to_minor_units


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded...
    client_secret: str
    amount: int
    currency: str
    failure_message: str = ""
    failure_code: str = ""
    # What the card holder must do next (3-D Secure), as Stripe gives it, for
    # Stripe.js or a partner's Stripe SDK to run; None when nothing is asked.
    next_action: dict | None = None
    charge_id: str = ""

    @property
    def authentication_failed(self) -> bool:
        return self.failure_code == "payment_intent_authentication_failure"


def intent_info(data: dict) -> PaymentIntentInfo:
    """The fields Encore reads of a PaymentIntent (from an API answer or a webhook)."""
    error = data.get("last_payment_error") or {}
    return PaymentIntentInfo(
        id=data["id"],
        status=data.get("status") or "",
        client_secret=data.get("client_secret") or "",
        amount=int(data.get("amount") or 0),
        currency=data.get("currency") or "",
        failure_message=error.get("message") or "",
        failure_code=error.get("code") or "",
        next_action=data.get("next_action") or None,
        charge_id=object_id(data.get("latest_charge")),
    )


def _info(intent) -> PaymentIntentInfo:
    return intent_info(intent.to_dict())


def _group(transaction_id: int) -> str:
    # Ties the buyer's charge to the seller's later transfer in Stripe's reports.
    return f"encore-txn-{transaction_id}"


def payment_method_check(*, payment_method_id: str) -> None:
    """Raise ValidationFailed (UNKNOWN_PAYMENT_METHOD) when Stripe does not know
    the payment method, before anything is reserved or charged with it."""
    with stripe_errors("payment_method_check"):
        try:
            stripe_client().v1.payment_methods.retrieve(payment_method_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 or exc.code == "resource_missing":
                raise ValidationFailed(
                    _("This card is not known to the payment service."),
                    details={"field": "payment_method_id", "reason": "UNKNOWN_PAYMENT_METHOD"},
                ) from exc
            raise


def payment_intent_create(
    *,
    transaction_id: int,
    amount: Decimal,
    currency: str,
    payment_method_id: str = "",
) -> PaymentIntentInfo:
    """A PaymentIntent for one transaction on Encore's own account, confirmed at
    once when a payment method is given (server-side confirmation), else left
    for Stripe.js. A card that needs authentication answers requires_action."""
    params = {
        "amount": to_minor_units(amount, currency),
        "currency": currency.lower(),
        "payment_method_types": ["card"],
        "metadata": {"transaction_id": str(transaction_id)},
        "transfer_group": _group(transaction_id),
    }
    if payment_method_id:
        # use_stripe_sdk: the next action (3-D Secure) is for Stripe.js or a
        # partner's Stripe SDK to run, not a redirect of ours.
        params.update(payment_method=payment_method_id, confirm=True, use_stripe_sdk=True)
    with stripe_errors("payment_intent_create"):
        intent = stripe_client().v1.payment_intents.create(
            params=params,
            options={"idempotency_key": f"encore-txn-{transaction_id}-intent"},
        )
    return _info(intent)


def payment_intent_confirm(
    *, transaction_id: int, attempt: int, payment_intent_id: str, payment_method_id: str
) -> PaymentIntentInfo:
    """Attach a payment method to an existing PaymentIntent and confirm it.

    `attempt` numbers the buyer's tries on this transaction: each try (another
    card, or the same one after a failed authentication) has its own
    idempotency keys, and a retried request of one try repeats none of it.
    """
    client = stripe_client()
    with stripe_errors("payment_intent_confirm"):
        client.v1.payment_intents.update(
            payment_intent_id,
            params={"payment_method": payment_method_id},
            options={"idempotency_key": f"encore-txn-{transaction_id}-pm-{attempt}"},
        )
        intent = client.v1.payment_intents.confirm(
            payment_intent_id,
            params={"use_stripe_sdk": True},
            options={"idempotency_key": f"encore-txn-{transaction_id}-confirm-{attempt}"},
        )
    return _info(intent)


def payment_intent_retrieve(*, payment_intent_id: str) -> PaymentIntentInfo:
    with stripe_errors("payment_intent_retrieve"):
        intent = stripe_client().v1.payment_intents.retrieve(
            payment_intent_id, params={"expand": ["latest_charge"]}
        )
    return _info(intent)


def payment_intent_cancel(*, transaction_id: int, payment_intent_id: str) -> PaymentIntentInfo:
    """Cancel a PaymentIntent and return its final state.

    Cancelling one that is already cancelled, or that has succeeded meanwhile,
    is not an error: the caller reads the returned status and acts on it.
    """
    client = stripe_client()
    try:
        with stripe_errors("payment_intent_cancel"):
            intent = client.v1.payment_intents.cancel(
                payment_intent_id,
                options={"idempotency_key": f"encore-txn-{transaction_id}-cancel"},
            )
    except PaymentFailed:
        # Stripe refuses to cancel an intent that is no longer cancellable.
        return payment_intent_retrieve(payment_intent_id=payment_intent_id)
    return _info(intent)


def refund_create(*, transaction_id: int, payment_intent_id: str) -> str:
    """Refund a payment in full; returns Stripe's refund id."""
    with stripe_errors("refund_create"):
        refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "metadata": {"transaction_id": str(transaction_id)},
            },
            options={"idempotency_key": f"encore-txn-{transaction_id}-refund"},
        )
    return refund.id
