"""Disputes (`du_`) as Stripe documents them, with its test behaviour:

- a charge from 4000 0000 0000 0259 (pm_card_createDispute) succeeds, and
  about a second later a `fraudulent` dispute is opened on it (2685,
  pm_card_createDisputeProductNotReceived: `product_not_received`), with
  `charge.dispute.created` and `charge.dispute.funds_withdrawn`;
- evidence whose `uncategorized_text` is `winning_evidence` wins the dispute,
  `losing_evidence` loses it: `under_review` first, the outcome about a
  second later (`charge.dispute.closed`, and `charge.dispute.funds_reinstated`
  when won);
- `close` accepts the loss at once;
- a refund of a charge whose dispute is open (or lost) is refused, code
  `charge_disputed`.

Stripe has no API to dispute an arbitrary charge; the test route
POST /_emulator/charges/{charge_id}/dispute (secret key; `reason`, `amount`)
does what the test cards do, at once.
"""

import asyncio

from localstripe.resources import Charge, Refund, StripeObject, store

from .balance import LedgerEntry
from .base import (
    Emulated,
    StripeError,
    api,
    boolean,
    changed,
    invalid,
    merged_metadata,
    newest_first,
    not_found,
    positive_int,
    reject_unknown,
    send_event,
    stripe_list,
    text,
)

DISPUTE_CARDS = {"4000000000000259": "fraudulent", "4000000000002685": "product_not_received"}
REASONS = (
    "bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
    "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
    "insufficient_funds", "noncompliant", "product_not_received", "product_unacceptable",
    "subscription_canceled", "unrecognized",
)  # fmt: skip
# Visa's reason codes for the reasons a card dispute commonly has.
NETWORK_REASONS = {
    "fraudulent": "10.4", "product_not_received": "13.1", "duplicate": "12.6.1",
    "subscription_canceled": "13.2", "product_unacceptable": "13.3",
    "credit_not_processed": "13.6", "general": "13.7",
}  # fmt: skip
EVIDENCE = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)  # fmt: skip
OPEN = ("needs_response", "under_review")
OUTCOME_DELAY = 1.0  # seconds, as Stripe's test disputes take about that long
EVIDENCE_WINDOW = 7 * 86400


class Dispute(Emulated, StripeObject):
    """Stripe's Dispute object (a chargeback on a card payment)."""

    object = "dispute"
    _id_prefix = "du_"
    _fields = (
        "id", "object", "amount", "balance_transactions", "charge", "created", "currency",
        "evidence", "evidence_details", "is_charge_refundable", "livemode", "metadata",
        "network_reason_code", "payment_intent", "payment_method_details", "reason", "status",
    )  # fmt: skip

    def __init__(self, charge, reason, amount):
        super().__init__()
        self.amount = amount
        self.charge = charge.id
        self.currency = charge.currency
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"
        self.evidence = dict.fromkeys(EVIDENCE) | {"enhanced_evidence": {}}
        self.evidence_details = {
            "due_by": self.created + EVIDENCE_WINDOW,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }
        self.is_charge_refundable = False
        self.metadata = {}
        self.network_reason_code = NETWORK_REASONS.get(reason)
        self.payment_method_details = {
            "card": {
                "brand": "visa",
                "case_type": "chargeback",
                "network_reason_code": self.network_reason_code,
            },
            "type": "card",
        }
        self._ledger = []

    @property
    def balance_transactions(self):
        return [store[f"balance_transaction:{id}"]._export() for id in self._ledger]

    def _move_funds(self, sign: int, category: str) -> None:
        entry = LedgerEntry(
            amount=sign * self.amount, currency=self.currency, type="adjustment",
            reporting_category=category, source=self.id,
            description=f"Chargeback {'withdrawal' if sign < 0 else 'reversal'} for {self.charge}",
        )  # fmt: skip
        self._ledger.append(entry.id)

    def _close(self, status: str) -> None:
        self.status = status
        if status == "won":
            self._move_funds(+1, "dispute_reversal")
        send_event("charge.dispute.closed", self)
        if status == "won":
            send_event("charge.dispute.funds_reinstated", self)

    @classmethod
    def _api_update(cls, id, evidence=None, metadata=None, submit=None, **unknown):
        reject_unknown(unknown)
        dispute = cls._api_retrieve(id)
        submit = boolean(submit, "submit", evidence is not None)
        if evidence is not None and not isinstance(evidence, dict):
            raise invalid("evidence", "Invalid evidence: must be an object.")
        reject_unknown({k: v for k, v in (evidence or {}).items() if k not in EVIDENCE}, "evidence")
        if (evidence or submit) and dispute.status != "needs_response":
            raise invalid(
                "evidence",
                f"This dispute has a status of {dispute.status}: evidence can no longer be "
                "changed or submitted.",
            )
        metadata = merged_metadata(dispute.metadata, metadata)
        before = dispute._export()
        dispute.metadata = metadata
        for key, value in (evidence or {}).items():
            dispute.evidence[key] = text(value, f"evidence[{key}]")
        if evidence:
            dispute.evidence_details["has_evidence"] = True
        if submit:
            dispute.evidence_details["submission_count"] += 1
            dispute.status = "under_review"
        previous = changed(before, dispute._export())
        if previous:
            send_event("charge.dispute.updated", dispute, previous_attributes=previous)
        outcome = {"winning_evidence": "won", "losing_evidence": "lost"}.get(
            dispute.evidence["uncategorized_text"]
        )
        if submit and outcome:
            asyncio.ensure_future(_decide_later(dispute.id, outcome))
        return dispute

    @classmethod
    def _api_list(cls, charge=None, payment_intent=None, limit=None, starting_after=None,
                  **unknown):  # fmt: skip
        reject_unknown(unknown)
        items = [
            d for d in newest_first("dispute")
            if charge in (None, d.charge) and payment_intent in (None, d.payment_intent)
        ]  # fmt: skip
        return stripe_list("/v1/disputes", items, limit, starting_after)


async def _decide_later(id, status):
    await asyncio.sleep(OUTCOME_DELAY)
    dispute = store.get(f"dispute:{id}")
    if dispute is not None and dispute.status == "under_review":
        dispute._close(status)
        store.dump_to_disk()


def close(id, **unknown):
    """POST /v1/disputes/{id}/close: the loss is accepted at once."""
    reject_unknown(unknown)
    dispute = Dispute._api_retrieve(id)
    if dispute.status != "needs_response":
        raise StripeError(
            400, f"This dispute has a status of {dispute.status} and cannot be closed."
        )
    dispute._close("lost")
    return dispute


def open_dispute(charge, reason="fraudulent", amount=None):
    """Open a dispute on a succeeded charge, as the card's issuer would."""
    dispute = Dispute(charge, reason, charge.amount if amount is None else amount)
    charge.disputed = True
    dispute._move_funds(-1, "dispute")
    send_event("charge.dispute.created", dispute)
    send_event("charge.dispute.funds_withdrawn", dispute)
    return dispute


def _open_disputes(charge_id):
    return [d for d in newest_first("dispute") if d.charge == charge_id and d.status in OPEN]


def dispute_charge(charge_id, reason=None, amount=None, **unknown):
    """Test route: open a dispute on any succeeded charge."""
    reject_unknown(unknown)
    charge = store.get(f"charge:{charge_id}")
    if charge is None:
        raise not_found("charge", charge_id)
    if charge.status != "succeeded" or not charge.captured:
        raise invalid("charge_id", f"Charge {charge_id} has not succeeded: nothing to dispute.")
    if _open_disputes(charge_id):
        raise invalid("charge_id", f"Charge {charge_id} already has an open dispute.")
    reason = reason or "fraudulent"
    if reason not in REASONS:
        raise invalid("reason", f"Invalid reason: must be one of {', '.join(REASONS)}.")
    amount = charge.amount if amount is None else positive_int(amount, "amount")
    if amount > charge.amount:
        raise invalid("amount", f"The dispute amount exceeds the charge's ({charge.amount}).")
    return open_dispute(charge, reason, amount)


async def _dispute_later(charge_id, reason):
    await asyncio.sleep(OUTCOME_DELAY)
    charge = store.get(f"charge:{charge_id}")
    if charge is not None and not charge.disputed:
        open_dispute(charge, reason)
        store.dump_to_disk()


# Charges from the dispute test cards are disputed a moment after they succeed.
Charge.disputed = False
_trigger_payment = Charge._trigger_payment


def _trigger_payment_then_dispute(self, on_success=None):
    _trigger_payment(self, on_success)
    method = store.get(f"payment_method:{self.payment_method}") or store.get(
        f"card:{self.payment_method}"
    )
    reason = DISPUTE_CARDS.get(getattr(method, "_card_number", None))
    if reason and self.status == "succeeded" and self.captured:
        asyncio.ensure_future(_dispute_later(self.id, reason))


Charge._trigger_payment = _trigger_payment_then_dispute

# A charged-back payment cannot be refunded.
_refund_create = Refund._api_create.__func__


def _refund_unless_disputed(cls, **data):
    charge = data.get("charge")
    intent = data.get("payment_intent")
    if charge is None and isinstance(intent, str) and f"payment_intent:{intent}" in store:
        latest = store[f"payment_intent:{intent}"].latest_charge
        charge = latest.id if latest is not None else None
    if isinstance(charge, str) and any(
        d.charge == charge and d.status in (*OPEN, "lost") for d in newest_first("dispute")
    ):
        raise StripeError(
            400,
            f"Charge {charge} has been charged back; cannot issue a refund.",
            code="charge_disputed",
            charge=charge,
        )
    return _refund_create(cls, **data)


Refund._api_create = classmethod(_refund_unless_disputed)


def _retrieve(id, **unknown):
    reject_unknown(unknown)
    return Dispute._api_retrieve(id)


routes = [
    ("GET", "/v1/disputes", api(Dispute._api_list)),
    ("GET", "/v1/disputes/{id}", api(_retrieve)),
    ("POST", "/v1/disputes/{id}", api(Dispute._api_update)),
    ("POST", "/v1/disputes/{id}/close", api(close)),
    ("POST", "/_emulator/charges/{charge_id}/dispute", api(dispute_charge)),
]
