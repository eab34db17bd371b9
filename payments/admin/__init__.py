"""The payments admin: transactions, payouts and payout accounts, the dispute queue."""

from . import disputes, event_cancellations, payouts, transactions

__all__ = ["disputes", "event_cancellations", "payouts", "transactions"]
