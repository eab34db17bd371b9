"""The platform's balance, computed from the store as Stripe's is from its
balance transactions: charges and refunds (localstripe records those),
transfers and reversals, dispute withdrawals and reinstatements (recorded
here), less payouts.

Every amount counts as available at once (Stripe keeps card payments pending
for some days; test mode's bypass-pending cards behave as here).
"""

from collections import defaultdict

from localstripe.resources import BalanceTransaction, StripeObject, store

from .base import api, reject_unknown


class LedgerEntry(BalanceTransaction):
    """A balance transaction localstripe does not make: a transfer (type
    `transfer`), a reversal (`transfer_refund`), a dispute's withdrawal or
    reinstatement (`adjustment`, reporting category `dispute`/`dispute_reversal`)."""

    def __init__(self, *, amount, currency, type, reporting_category, source, description=None):
        # localstripe's BalanceTransaction only takes charges and refunds.
        StripeObject.__init__(self)
        self.amount = amount
        self.available_on = self.created
        self.currency = currency
        self.description = description
        self.exchange_rate = None
        self.fee = 0
        self.fee_details = []
        self.reporting_category = reporting_category
        self.source = source
        self.status = "available"
        self.type = type


def available() -> dict[str, int]:
    """Available amount per currency, in minor units."""
    totals = defaultdict(int)
    for key, obj in store.items():
        if key.startswith("balance_transaction:"):
            totals[obj.currency] += obj.net
        elif key.startswith("payout:") and obj.status not in ("failed", "canceled"):
            totals[obj.currency] -= obj.amount
    return totals


class Balance:
    """Stripe's balance object (not stored: computed on each request)."""

    def __init__(self):
        totals = available() or {"eur": 0}
        self.available = [
            {"amount": amount, "currency": currency, "source_types": {"card": amount}}
            for currency, amount in sorted(totals.items())
        ]
        self.pending = [
            {"amount": 0, "currency": currency, "source_types": {"card": 0}}
            for currency in sorted(totals)
        ]

    def _export(self, expand=None):
        return {
            "object": "balance",
            "available": self.available,
            "pending": self.pending,
            "livemode": False,
        }


def _balance(**unknown):
    reject_unknown(unknown)
    return Balance()


routes = [("GET", "/v1/balance", api(_balance))]
