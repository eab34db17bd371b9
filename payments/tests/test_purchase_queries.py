"""A purchase's round trips to the database, counted: the API's purchase of a
listing on open sale, and a buyer who finds it already reserved."""

import pytest

from marketplace.testing import error_of, ok_data
from payments.models import Transaction

pytestmark = pytest.mark.django_db

PURCHASE = "/api/v1/transactions/purchase"


def test_a_purchase_reserves_in_a_transaction_of_six_statements(
    api_as, buyer, listing, django_assert_max_num_queries
):
    client = api_as(buyer)

    # the buyer (token), the listing; in the transaction (a savepoint here): the
    # buyer's lock, one count for the purchase limit, listing, ticket,
    # transaction, the three audit rows in one INSERT; then the PaymentIntent's
    # id, and the transaction read back for the answer
    with django_assert_max_num_queries(13):
        response = client.post(PURCHASE, {"listing_id": listing.pk}, format="json")

    data = ok_data(response, 201)
    assert Transaction.objects.get(pk=data["id"]).status == Transaction.Status.PENDING_PAYMENT


def test_a_buyer_who_finds_the_listing_reserved_gets_409_without_a_transaction(
    api_as, buyer, listing, django_assert_max_num_queries
):
    from accounts.tests.factories import UserFactory

    ok_data(api_as(UserFactory()).post(PURCHASE, {"listing_id": listing.pk}, format="json"), 201)
    client = api_as(buyer)

    # the buyer, the listing, a lapsed reservation, a waiting-list offer due,
    # the listing again, the offer to this buyer: no lock taken, nothing written
    with django_assert_max_num_queries(6):
        response = client.post(PURCHASE, {"listing_id": listing.pk}, format="json")

    error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert not Transaction.objects.filter(buyer=buyer).exists()
