"""Fixtures of the messaging tests. The Celery workers are in
marketplace/tests/workers.py; `db_snapshot` is in the root conftest."""

import pytest

from payments.tests.factories import TransactionFactory


@pytest.fixture
def txn():
    """A paid transaction: its buyer and seller may talk."""
    return TransactionFactory(
        buyer__name="Bea Buyer",
        listing__ticket__owner__name="Sam Seller",
        listing__ticket__event__name="Fontaines D.C. & Friends",
    )
