import pytest

from messaging.tests.factories import MessageFactory, NotificationFactory
from payments.tests.factories import DisputeFactory, PayoutFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_sale():
    dispute = DisputeFactory()
    payout = PayoutFactory(transaction=dispute.transaction)
    message = MessageFactory(transaction=dispute.transaction)
    NotificationFactory(user=message.sender)
    assert payout.amount + dispute.transaction.platform_fee == dispute.transaction.final_price
    assert dispute.transaction.seller == dispute.transaction.listing.ticket.owner
