import pytest

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.errors import NotFound
from payments.selectors import transaction_get_for_party, transaction_list_for_user
from payments.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def test_a_transaction_is_seen_by_its_parties_and_staff_only():
    txn = TransactionFactory()

    for user in (txn.buyer, txn.seller, StaffFactory()):
        assert transaction_get_for_party(user=user, transaction_id=txn.pk) == txn
    with pytest.raises(NotFound):
        transaction_get_for_party(user=UserFactory(), transaction_id=txn.pk)


def test_lists_by_role(django_assert_num_queries):
    bought, sold = TransactionFactory(), TransactionFactory()
    user = bought.buyer
    sold.seller = user
    sold.save()
    sold.listing.seller = user
    sold.listing.save()
    TransactionFactory()  # someone else's

    with django_assert_num_queries(1):
        both = list(transaction_list_for_user(user=user))
        assert [t.listing.ticket.event.name for t in both]

    assert set(both) == {bought, sold}
    assert list(transaction_list_for_user(user=user, role="buyer")) == [bought]
    assert list(transaction_list_for_user(user=user, role="seller")) == [sold]


def test_lists_by_status_within_the_users_own():
    from payments.models import Transaction

    paid = TransactionFactory(status=Transaction.Status.PAID)
    cancelled = TransactionFactory(buyer=paid.buyer, status=Transaction.Status.CANCELLED)
    TransactionFactory(status=Transaction.Status.PAID)  # someone else's

    mine = transaction_list_for_user(user=paid.buyer, status=Transaction.Status.PAID)

    assert list(mine) == [paid]
    assert set(transaction_list_for_user(user=paid.buyer)) == {paid, cancelled}
