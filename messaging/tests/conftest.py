"""Fixtures of the messaging tests: parties to a transaction and the rows a
refused call must leave alone. The Celery workers are in marketplace/tests/workers.py."""

from pathlib import Path

import pytest

from messaging.models import Email, Message, Notification
from payments.tests.factories import TransactionFactory

BASE_DIR = Path(__file__).resolve().parents[2]
# The tests' broker: its own Redis database, apart from the cache (REDIS_URL).
BROKER_DB = 4


@pytest.fixture
def txn():
    """A paid transaction: its buyer and seller may talk."""
    return TransactionFactory(
        buyer__name="Bea Buyer",
        listing__ticket__owner__name="Sam Seller",
        listing__ticket__event__name="Fontaines D.C. & Friends",
    )


@pytest.fixture
def messaging_rows():
    """A function returning every row the messaging services write: equal
    results before and after a refused call prove it changed nothing."""
    from marketplace.models import AuditLog

    def rows():
        return {
            model._meta.db_table: list(model.objects.order_by("pk").values_list())
            for model in (Message, Notification, Email, AuditLog)
        }

    return rows
