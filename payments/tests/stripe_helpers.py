"""What the payments tests do at the local Stripe that a person or Stripe
itself would do elsewhere: finish the hosted onboarding in a browser, pass or
fail a bank's 3-D Secure check, open a chargeback, let the bank decide it.

Every call goes to the emulator the run started (settings.STRIPE_API_BASE)
over HTTP, as a browser or Stripe's dashboard would.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

from django.conf import settings

from payments import gateway
from payments.models import PayoutAccount, Transaction
from payments.services import (
    payout_account_onboard,
    payout_account_sync,
    transaction_pay,
    transaction_purchase,
)

from .helpers import CARD_OK

# Stripe's test payment methods (docs.stripe.com/testing), as the emulator knows them.
CARD_3DS = "pm_card_authenticationRequired"  # 4000 0027 6000 3184: always authenticate
CARD_DISPUTED = "pm_card_createDispute"  # 4000 0000 0000 0259: paid, then charged back


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _send(url: str, data: dict | None = None, *, secret: bool = False) -> tuple[int, str, str]:
    """(status, Location header, body) of a GET (or a form POST with `data`)."""
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)  # noqa: S310 (the local emulator)
    if secret:
        request.add_header("Authorization", f"Bearer {settings.STRIPE_SECRET_KEY}")
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def onboarding_complete(url: str, *, with_bank: bool = True) -> str:
    """Fill in the stand-in hosted onboarding at `url` as a seller would; returns
    where Stripe sends the browser back (the return_url)."""
    status, _, page = _send(url)
    assert status == 200, page
    status, location, page = _send(
        url,
        {
            "first_name": "Siobhán",
            "last_name": "Seller",
            "dob": "1990-04-21",
            "tos": "accepted",
            "action": "submit" if with_bank else "submit_without_bank",
        },
    )
    assert status == 303, page
    return location


def seller_onboarded(user, *, with_bank: bool = True, country: str = "IE") -> PayoutAccount:
    """The seller's payout account, opened and onboarded at the local Stripe,
    Encore's copy in step (as the return from onboarding leaves it)."""
    _, url = payout_account_onboard(
        user=user,
        country=country,
        return_url="http://testserver/my/payouts/account/return/",
        refresh_url="http://testserver/my/payouts/account/refresh/",
    )
    onboarding_complete(url, with_bank=with_bank)
    payout_account_sync(user=user)
    return PayoutAccount.objects.get(user=user)


def account_needs_more(account_id: str, *fields: str) -> None:
    """Stripe asks the account for more information: it can no longer receive."""
    status, _, body = _send(
        f"{settings.STRIPE_API_BASE}/_emulator/accounts/{account_id}/requirements",
        {
            "currently_due[]": list(fields) or ["individual.verification.document"],
            "disabled_reason": "requirements.past_due",
            "payouts_enabled": "false",
            "transfers": "inactive",
        },
        secret=True,
    )
    assert status == 200, body


def authenticate(txn: Transaction, *, success: bool) -> dict:
    """The card holder passes (or fails) their bank's check, as Stripe.js's
    authentication step does with the payment's client secret."""
    intent = gateway.stripe_client().v1.payment_intents.retrieve(txn.payment_id)
    status, _, body = _send(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{txn.payment_id}/_authenticate"
        f"?success={'true' if success else 'false'}",
        {"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": intent.client_secret},
    )
    assert status == 200, body
    return json.loads(body)


def chargeback(charge_id: str, *, reason: str = "fraudulent") -> dict:
    """The buyer's bank disputes the charge (Stripe sends charge.dispute.created)."""
    status, _, body = _send(
        f"{settings.STRIPE_API_BASE}/_emulator/charges/{charge_id}/dispute",
        {"reason": reason},
        secret=True,
    )
    assert status == 200, body
    return json.loads(body)


def bank_decides(dispute_id: str, *, won: bool) -> None:
    """Evidence that wins (or loses) the dispute, as Stripe's test mode documents;
    Stripe then closes it (charge.dispute.closed)."""
    evidence = "winning_evidence" if won else "losing_evidence"
    gateway.stripe_client().v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": evidence}, "submit": True}
    )


def paid_purchase(buyer, listing, *, card: str = CARD_OK) -> Transaction:
    """A purchase paid by card at the local Stripe: the charge is real there."""
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    return transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=card).transaction


def transfers_of(txn: Transaction) -> list:
    """Stripe's transfers made for a transaction (its transfer group)."""
    found = gateway.stripe_client().v1.transfers.list(
        params={"transfer_group": f"encore-txn-{txn.pk}", "limit": 100}
    )
    return list(found.data)


def cents(amount: Decimal) -> int:
    return gateway.to_minor_units(amount, "EUR")


def refund_amounts(txn: Transaction) -> list[int]:
    """The refunds the local Stripe made of the transaction's payment (amounts in cents)."""
    found = gateway.stripe_client().v1.refunds.list(params={"payment_intent": txn.payment_id})
    return [refund.amount for refund in found.data]
