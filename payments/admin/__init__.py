"""The payments admin: transactions, payouts and payout accounts, the dispute queue."""

from . import disputes, payouts, transactions

__all__ = ["disputes", "payouts", "transactions"]
