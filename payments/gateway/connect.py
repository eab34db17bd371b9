"""Sellers' money: Stripe Connect Express accounts, onboarding links, transfers
of the seller's share from Encore's balance ("separate charges and
transfers"), and their reversals.

Encore never pays out from its own balance to a bank on a seller's behalf:
the seller's connected account receives a transfer, and Stripe pays that
account out to the seller's bank on the account's own schedule.
"""

from dataclasses import dataclass
from decimal import Decimal

import stripe

from marketplace.core.errors import PaymentFailed

from .client import object_id, stripe_client, stripe_errors, to_minor_units


@dataclass(frozen=True)
class AccountInfo:
    id: str
    country: str
    default_currency: str
    details_submitted: bool
    payouts_enabled: bool
    transfers_active: bool
    requirements_due: list[str]
    disabled_reason: str


def account_info(data: dict) -> AccountInfo:
    """What Encore keeps of a connected account (from an API answer or the
    `account.updated` webhook): its state, never identity or bank details."""
    requirements = data.get("requirements") or {}
    due = list(requirements.get("currently_due") or []) + [
        item for item in requirements.get("past_due") or [] if item
    ]
    capabilities = data.get("capabilities") or {}
    return AccountInfo(
        id=data["id"],
        country=(data.get("country") or "").upper(),
        default_currency=(data.get("default_currency") or "").upper(),
        details_submitted=bool(data.get("details_submitted")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        transfers_active=capabilities.get("transfers") == "active",
        requirements_due=sorted(set(due)),
        disabled_reason=requirements.get("disabled_reason") or "",
    )


def account_create(*, user_id: int, email: str, country: str) -> AccountInfo:
    """An Express connected account for a seller: Stripe's hosted onboarding
    collects the seller's identity and bank details, never Encore."""
    with stripe_errors("account_create"):
        account = stripe_client().v1.accounts.create(
            params={
                "type": "express",
                "country": country,
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"user_id": str(user_id)},
            },
            options={"idempotency_key": f"encore-user-{user_id}-account-{country}"},
        )
    return account_info(account.to_dict())


def account_retrieve(*, account_id: str) -> AccountInfo:
    with stripe_errors("account_retrieve"):
        account = stripe_client().v1.accounts.retrieve(account_id)
    return account_info(account.to_dict())


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """A single-use address of Stripe's hosted onboarding for the account,
    valid a few minutes: made on demand, never stored."""
    with stripe_errors("account_link_create"):
        link = stripe_client().v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    return link.url


def transfer_create(
    *,
    payout_id: int,
    round_: int,
    attempt: int,
    transaction_id: int,
    amount: Decimal,
    currency: str,
    destination: str,
    source_transaction: str,
) -> str:
    """Transfer the seller's share of one sale to their account; returns the
    transfer's id. `source_transaction` ties it to the buyer's charge, so it
    is made from that charge's funds even before they are available.

    The idempotency key counts the payout's transfer round (a new transfer
    after a chargeback was won) and its refused attempts, so a retry after a
    lost answer repeats nothing and a retry after a refusal is a new request.

    Raises PaymentFailed with Stripe's code and message as details (the
    account cannot receive, the charge is exhausted...) or ServiceUnavailable.
    """
    params = {
        "amount": to_minor_units(amount, currency),
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": f"encore-txn-{transaction_id}",
        "metadata": {"payout_id": str(payout_id), "transaction_id": str(transaction_id)},
    }
    if source_transaction:
        params["source_transaction"] = source_transaction
    try:
        with stripe_errors("transfer_create"):
            transfer = stripe_client().v1.transfers.create(
                params=params,
                options={
                    "idempotency_key": f"encore-payout-{payout_id}-transfer-{round_}.{attempt}"
                },
            )
    except PaymentFailed as exc:
        cause = exc.__cause__
        if isinstance(cause, stripe.StripeError):
            raise PaymentFailed(
                cause.user_message or "Stripe refused the transfer.",
                details={"reason": cause.code or "transfer_refused"},
            ) from cause
        raise
    return transfer.id


def transfer_reversal_create(*, payout_id: int, round_: int, transfer_id: str) -> str:
    """Take a transfer back from the seller's account in full; returns the
    reversal's id. Idempotent per payout and transfer round."""
    with stripe_errors("transfer_reversal_create"):
        reversal = stripe_client().v1.transfers.reversals.create(
            transfer_id,
            params={"metadata": {"payout_id": str(payout_id)}},
            options={"idempotency_key": f"encore-payout-{payout_id}-reversal-{round_}"},
        )
    return reversal.id


def charge_of(data: dict) -> str:
    """The charge id of a PaymentIntent or dispute payload."""
    return object_id(data.get("latest_charge") or data.get("charge"))
