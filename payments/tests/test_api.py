"""The transactions API: purchase, my purchases and sales, pay, confirm, dispute.

Each answer is checked in its envelope; each refusal with its error code and,
where a service is involved, an unchanged database (db_snapshot).
"""

import datetime
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from payments import gateway
from payments.models import Dispute, Payout, Transaction
from payments.services import transaction_purchase
from payments.tests.factories import TransactionFactory
from payments.tests.helpers import CARD_DECLINED, CARD_OK, past_event
from payments.tests.stripe_helpers import seller_onboarded
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PURCHASE = "/api/v1/transactions/purchase"


def assert_on_sale_again(listing):
    """The listing and its ticket are back on sale, and no purchase holds them."""
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.ACTIVE
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.LISTED
    assert not Transaction.objects.filter(
        listing=listing, status=Transaction.Status.PENDING_PAYMENT
    ).exists()


@pytest.fixture
def stranger():
    return UserFactory()


@pytest.fixture
def reserved(buyer, listing):
    """A purchase awaiting the buyer's card."""
    return transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction


@pytest.fixture
def paid(buyer, listing):
    """A purchase paid with a test card: the ticket is the buyer's, in escrow."""
    return transaction_purchase(
        buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_OK
    ).transaction


# --- purchase -----------------------------------------------------------------------


def test_purchase_with_the_specifications_body_reserves_and_returns_a_client_secret(
    api_as, buyer, seller, listing
):
    response = api_as(buyer).post(
        PURCHASE, {"listingId": listing.pk, "paymentMethod": "credit_card"}, format="json"
    )

    data = ok_data(response, 201)
    txn = Transaction.objects.get(pk=data["id"])
    assert (txn.buyer, txn.seller, txn.listing) == (buyer, seller, listing)
    assert data["status"] == "pending_payment"
    assert data["payment_status"] == "pending"
    assert data["payment_method"] == "credit_card"
    assert data["role"] == "buyer"
    assert data["listing"]["id"] == listing.pk
    assert (data["final_price"], data["platform_fee"], data["seller_payout"]) == (
        "55.00",
        "4.40",
        "50.60",
    )
    assert data["client_secret"].startswith(txn.payment_id + "_secret")
    assert data["publishable_key"]
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PENDING
    intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
    assert (intent.amount, intent.status) == (5500, "requires_payment_method")


def test_purchase_accepts_snake_case_too(api_as, buyer, listing):
    response = api_as(buyer).post(PURCHASE, {"listing_id": listing.pk}, format="json")

    data = ok_data(response, 201)
    assert (data["status"], data["payment_method"]) == ("pending_payment", "card")


def test_purchase_with_a_card_is_paid_at_once(
    api_as, buyer, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(buyer).post(
            PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_OK}, format="json"
        )

    data = ok_data(response, 201)
    assert (data["status"], data["payment_status"]) == ("paid", "succeeded")
    assert data["paid_at"] is not None
    ticket = Ticket.objects.get(pk=listing.ticket_id)
    assert (ticket.owner, ticket.status) == (buyer, Ticket.Status.SOLD)
    assert data["ticket_id"] == ticket.pk
    assert Payout.objects.get(transaction_id=data["id"]).status == Payout.Status.HELD


def test_declined_card_answers_402_and_puts_the_listing_back_on_sale(
    api_as, buyer, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(buyer).post(
            PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_DECLINED}, format="json"
        )

    error = error_of(response, 402, "PAYMENT_FAILED")
    assert error["details"]["reason"] == "card_declined"
    assert_on_sale_again(listing)
    txn = Transaction.objects.get(listing=listing)
    assert (txn.status, txn.payment_status) == ("cancelled", "failed")
    assert not Payout.objects.exists()


def test_stripe_unreachable_answers_503_and_puts_the_listing_back_on_sale(
    api_as, buyer, listing, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the discard port: nothing listens

    response = api_as(buyer).post(PURCHASE, {"listing_id": listing.pk}, format="json")

    error_of(response, 503, "SERVICE_UNAVAILABLE")
    assert_on_sale_again(listing)
    assert Transaction.objects.get(listing=listing).status == Transaction.Status.CANCELLED


def test_stripe_unreachable_with_a_card_answers_503_before_anything_is_reserved(
    api_as, buyer, listing, settings, db_snapshot
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the discard port: nothing listens
    before = db_snapshot()

    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_OK}, format="json"
    )

    error_of(response, 503, "SERVICE_UNAVAILABLE")
    assert db_snapshot() == before


def test_buying_my_own_listing_is_forbidden(api_as, seller, listing, db_snapshot):
    before = db_snapshot()

    response = api_as(seller).post(PURCHASE, {"listing_id": listing.pk}, format="json")

    error = error_of(response, 403, "FORBIDDEN")
    assert error["details"]["reason"] == "OWN_LISTING"
    assert db_snapshot() == before


def test_buying_an_unknown_listing_is_not_found(api_as, buyer, listing, db_snapshot):
    before = db_snapshot()

    response = api_as(buyer).post(PURCHASE, {"listing_id": listing.pk + 1000}, format="json")

    error_of(response, 404, "NOT_FOUND")
    assert db_snapshot() == before


def test_buying_a_listing_someone_reserved_answers_ticket_not_available(
    api_as, buyer, listing, db_snapshot
):
    transaction_purchase(buyer=UserFactory(), listing_id=listing.pk)
    before = db_snapshot()

    response = api_as(buyer).post(PURCHASE, {"listingId": listing.pk}, format="json")

    error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before


def test_buying_a_listing_of_an_event_that_started_answers_listing_expired(
    api_as, buyer, db_snapshot
):
    ticket = TicketFactory(event=past_event(hours_ago=1), status=Ticket.Status.LISTED)
    listing = ListingFactory(ticket=ticket)
    before = db_snapshot()

    response = api_as(buyer).post(PURCHASE, {"listing_id": listing.pk}, format="json")

    error_of(response, 410, "LISTING_EXPIRED")
    assert db_snapshot() == before


def test_a_buyer_suspended_after_their_token_was_issued_cannot_buy(
    api_as, buyer, listing, db_snapshot
):
    client = api_as(buyer)
    User.objects.filter(pk=buyer.pk).update(status=User.Status.SUSPENDED)
    before = db_snapshot()

    response = client.post(PURCHASE, {"listing_id": listing.pk}, format="json")

    error_of(response, 401, "UNAUTHORIZED")
    assert db_snapshot() == before


def test_buying_over_the_limit_per_event_is_refused(api_as, buyer, event, settings, db_snapshot):
    settings.MAX_TICKETS_PER_EVENT = 1
    first, second = (
        ListingFactory(ticket=TicketFactory(event=event, status=Ticket.Status.LISTED))
        for _ in range(2)
    )
    client = api_as(buyer)
    ok_data(client.post(PURCHASE, {"listing_id": first.pk}, format="json"), 201)
    before = db_snapshot()

    response = client.post(PURCHASE, {"listing_id": second.pk}, format="json")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "PURCHASE_LIMIT_REACHED"
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "listing_id"),
        ({"payment_method": "card"}, "listing_id"),
        ({"listing_id": "abc"}, "listing_id"),
        ({"listing_id": -1}, "listing_id"),
        ({"listing_id": 0}, "listing_id"),
        ({"listing_id": 10**30}, "listing_id"),
        ({"listing_id": 1.5}, "listing_id"),
        ({"listingId": "abc"}, "listingId"),
        ({"listingId": -3}, "listingId"),
    ],
)
def test_purchase_without_a_valid_listing_id_is_refused(
    api_as, buyer, listing, db_snapshot, body, field
):
    before = db_snapshot()

    response = api_as(buyer).post(PURCHASE, body, format="json")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == field
    assert db_snapshot() == before


# --- list and detail ---------------------------------------------------------------


def test_list_shows_my_purchases_and_sales_filtered_by_role_and_paginated(api_as, buyer):
    bought = [TransactionFactory(buyer=buyer) for _ in range(3)]
    sold = TransactionFactory(listing__ticket__owner=buyer)
    TransactionFactory()  # neither mine
    client = api_as(buyer)

    everything = client.get("/api/v1/transactions")
    as_buyer = client.get("/api/v1/transactions", {"role": "buyer", "limit": 2})
    as_buyer_page_2 = client.get("/api/v1/transactions", {"role": "buyer", "limit": 2, "page": 2})
    as_seller = client.get("/api/v1/transactions", {"role": "seller"})

    assert {row["id"] for row in ok_data(everything)} == {t.pk for t in [*bought, sold]}
    assert as_buyer.json()["meta"]["pagination"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "totalExact": True,
        "nextCursor": ANY,
    }
    buyer_rows = ok_data(as_buyer) + ok_data(as_buyer_page_2)
    # Newest first, each row with the caller's side of the sale.
    assert [row["id"] for row in buyer_rows] == [t.pk for t in reversed(bought)]
    assert {row["role"] for row in buyer_rows} == {"buyer"}
    assert [(row["id"], row["role"]) for row in ok_data(as_seller)] == [(sold.pk, "seller")]


def test_list_filters_by_status(api_as, buyer):
    TransactionFactory(buyer=buyer)
    completed = TransactionFactory(buyer=buyer, status=Transaction.Status.COMPLETED)

    data = ok_data(api_as(buyer).get("/api/v1/transactions", {"status": "completed"}))

    assert [row["id"] for row in data] == [completed.pk]


@pytest.mark.parametrize("query", [{"role": "owner"}, {"status": "lost"}, {"limit": 0}])
def test_list_refuses_unknown_filters(api_as, buyer, query):
    error_of(api_as(buyer).get("/api/v1/transactions", query), 400, "VALIDATION_ERROR")


def test_list_runs_the_same_queries_for_2_and_for_20_transactions(api_as):
    few, many = UserFactory(), UserFactory()
    for _ in range(2):
        TransactionFactory(buyer=few)
    for _ in range(20):
        TransactionFactory(buyer=many)  # each a listing, ticket, event and seller of its own
    api_as(UserFactory()).get("/api/v1/transactions")  # warm the one-off lookups

    counted = {}
    for user, expected in ((few, 2), (many, 20)):
        client = api_as(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/transactions")
        assert len(ok_data(response)) == expected
        counted[expected] = len(queries)

    assert counted[2] == counted[20]


@pytest.mark.parametrize("who", ["buyer", "seller", "staff"])
def test_detail_is_shown_to_the_buyer_the_seller_and_staff(api_as, reserved, who):
    user = {"buyer": reserved.buyer, "seller": reserved.seller, "staff": StaffFactory()}[who]

    data = ok_data(api_as(user).get(f"/api/v1/transactions/{reserved.pk}"))

    assert data["id"] == reserved.pk
    assert data["role"] == who  # as the transaction's page says it (transaction_view_for)
    assert (data["buyer"]["id"], data["seller"]["id"]) == (
        reserved.buyer.public_id,
        reserved.seller.public_id,
    )
    # Trading partners see a name and badges, never each other's contact details.
    assert "email" not in data["buyer"] and "email" not in data["seller"]


def test_detail_is_not_found_for_anyone_else(api_as, reserved, stranger):
    error_of(api_as(stranger).get(f"/api/v1/transactions/{reserved.pk}"), 404, "NOT_FOUND")


# --- pay ----------------------------------------------------------------------------


def test_buyer_pays_a_reservation_with_a_card(api_as, buyer, reserved):
    response = api_as(buyer).post(
        f"/api/v1/transactions/{reserved.pk}/pay", {"payment_method_id": CARD_OK}, format="json"
    )

    data = ok_data(response)
    assert (data["status"], data["payment_status"]) == ("paid", "succeeded")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("seller", 403, "FORBIDDEN"), ("stranger", 404, "NOT_FOUND")],
)
def test_only_the_buyer_can_pay(api_as, reserved, stranger, db_snapshot, who, status, code):
    user = reserved.seller if who == "seller" else stranger
    before = db_snapshot()

    response = api_as(user).post(
        f"/api/v1/transactions/{reserved.pk}/pay", {"payment_method_id": CARD_OK}, format="json"
    )

    error_of(response, status, code)
    assert db_snapshot() == before
    intent = gateway.payment_intent_retrieve(payment_intent_id=reserved.payment_id)
    assert intent.status == "requires_payment_method"


def test_pay_with_a_declined_card_answers_402_and_puts_the_listing_back_on_sale(
    api_as, buyer, listing, reserved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(buyer).post(
            f"/api/v1/transactions/{reserved.pk}/pay",
            {"payment_method_id": CARD_DECLINED},
            format="json",
        )

    error_of(response, 402, "PAYMENT_FAILED")
    assert_on_sale_again(listing)
    # The abandoned PaymentIntent is cancelled: no card can pay it later.
    intent = gateway.payment_intent_retrieve(payment_intent_id=reserved.payment_id)
    assert intent.status == "canceled"


def test_pay_while_stripe_is_unreachable_answers_503_and_keeps_the_reservation(
    api_as, buyer, listing, reserved, settings, db_snapshot
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    before = db_snapshot()

    response = api_as(buyer).post(
        f"/api/v1/transactions/{reserved.pk}/pay", {"payment_method_id": CARD_OK}, format="json"
    )

    error_of(response, 503, "SERVICE_UNAVAILABLE")
    assert db_snapshot() == before


def test_paying_a_paid_purchase_again_is_refused(api_as, buyer, paid, db_snapshot):
    before = db_snapshot()

    response = api_as(buyer).post(
        f"/api/v1/transactions/{paid.pk}/pay", {"payment_method_id": CARD_OK}, format="json"
    )

    error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before


def test_pay_without_a_payment_method_is_refused(api_as, buyer, reserved):
    error = error_of(
        api_as(buyer).post(f"/api/v1/transactions/{reserved.pk}/pay", {}, format="json"),
        400,
        "VALIDATION_ERROR",
    )
    assert error["details"]["field"] == "payment_method_id"


# --- confirm ------------------------------------------------------------------------


def test_buyer_confirms_receipt_and_the_sale_completes(
    api_as, buyer, seller, paid, django_capture_on_commit_callbacks
):
    seller_onboarded(seller)

    with django_capture_on_commit_callbacks(execute=False):
        response = api_as(buyer).post(f"/api/v1/transactions/{paid.pk}/confirm")

    data = ok_data(response)
    assert data["status"] == "completed"
    assert data["confirmed_at"] is not None
    assert Payout.objects.get(transaction=paid).status == Payout.Status.SCHEDULED
    assert Ticket.objects.get(pk=paid.listing.ticket_id).status == Ticket.Status.AVAILABLE
    assert AuditLog.objects.filter(action="transaction.confirmed", actor=buyer).exists()


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("seller", 403, "FORBIDDEN"), ("stranger", 404, "NOT_FOUND")],
)
def test_only_the_buyer_can_confirm(api_as, paid, stranger, db_snapshot, who, status, code):
    user = paid.seller if who == "seller" else stranger
    before = db_snapshot()

    response = api_as(user).post(f"/api/v1/transactions/{paid.pk}/confirm")

    error_of(response, status, code)
    assert db_snapshot() == before


def test_confirming_an_unpaid_purchase_is_refused(api_as, buyer, reserved, db_snapshot):
    before = db_snapshot()

    response = api_as(buyer).post(f"/api/v1/transactions/{reserved.pk}/confirm")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "NOT_CONFIRMABLE"
    assert db_snapshot() == before


# --- dispute ------------------------------------------------------------------------


def test_buyer_opens_a_dispute_on_a_paid_purchase(api_as, buyer, paid):
    response = api_as(buyer).post(
        f"/api/v1/transactions/{paid.pk}/dispute",
        {"reason": "invalid_ticket", "description": "  The scanner refused it.  "},
        format="json",
    )

    data = ok_data(response, 201)
    dispute = Dispute.objects.get(pk=data["id"])
    assert (dispute.transaction, dispute.opened_by) == (paid, buyer)
    assert (data["transaction_id"], data["reason"], data["status"]) == (
        paid.pk,
        "invalid_ticket",
        "open",
    )
    assert data["description"] == "The scanner refused it."
    assert Transaction.objects.get(pk=paid.pk).status == Transaction.Status.DISPUTED
    assert Payout.objects.get(transaction=paid).status == Payout.Status.HELD


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "changed_my_mind", "description": "I do not want it."}, "reason"),
        ({"description": "No reason given."}, "reason"),
        ({"reason": "invalid_ticket", "description": ""}, "description"),
        ({"reason": "invalid_ticket", "description": "   "}, "description"),
        ({"reason": "invalid_ticket", "description": "x" * 5000}, "description"),
        ({"reason": "invalid_ticket"}, "description"),
    ],
    ids=["bad-reason", "no-reason", "empty", "blank", "5000-chars", "no-description"],
)
def test_dispute_with_bad_input_is_refused(api_as, buyer, paid, db_snapshot, body, field):
    before = db_snapshot()

    response = api_as(buyer).post(f"/api/v1/transactions/{paid.pk}/dispute", body, format="json")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == field
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("seller", 403, "FORBIDDEN"), ("stranger", 404, "NOT_FOUND")],
)
def test_only_the_buyer_can_open_a_dispute(api_as, paid, stranger, db_snapshot, who, status, code):
    user = paid.seller if who == "seller" else stranger
    before = db_snapshot()

    response = api_as(user).post(
        f"/api/v1/transactions/{paid.pk}/dispute",
        {"reason": "not_received", "description": "Where is it?"},
        format="json",
    )

    error_of(response, status, code)
    assert db_snapshot() == before


def test_a_second_dispute_is_refused(api_as, buyer, paid, db_snapshot):
    body = {"reason": "not_received", "description": "Where is it?"}
    ok_data(api_as(buyer).post(f"/api/v1/transactions/{paid.pk}/dispute", body), 201)
    before = db_snapshot()

    response = api_as(buyer).post(f"/api/v1/transactions/{paid.pk}/dispute", body)

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "NOT_DISPUTABLE"
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/transactions"),
        ("get", "/api/v1/transactions/1"),
        ("post", PURCHASE),
        ("post", "/api/v1/transactions/1/pay"),
        ("post", "/api/v1/transactions/1/confirm"),
        ("post", "/api/v1/transactions/1/dispute"),
    ],
)
def test_every_transaction_endpoint_needs_a_token(api, method, path):
    error_of(getattr(api, method)(path), 401, "UNAUTHORIZED")


def _expire(txn):
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=5)
    )


def test_paying_after_the_reservation_expired_is_refused_and_charges_nothing(
    api_as, buyer, reserved, db_snapshot
):
    _expire(reserved)
    before = db_snapshot()

    response = api_as(buyer).post(
        f"/api/v1/transactions/{reserved.pk}/pay", {"payment_method_id": CARD_OK}
    )

    error = error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert error["details"] == {"reason": "RESERVATION_EXPIRED"}
    assert db_snapshot() == before
    intent = gateway.payment_intent_retrieve(payment_intent_id=reserved.payment_id)
    assert intent.status == "requires_payment_method"


def test_a_lapsed_reservation_does_not_block_the_next_buyer(
    api_as, buyer, listing, reserved, stranger
):
    # given: the first buyer's time ran out before the periodic job released it
    _expire(reserved)

    response = api_as(stranger).post(PURCHASE, {"listing_id": listing.pk})

    data = ok_data(response, 201)
    assert Transaction.objects.get(pk=reserved.pk).status == Transaction.Status.CANCELLED
    assert Transaction.objects.get(pk=data["id"]).buyer == stranger
    old_intent = gateway.payment_intent_retrieve(payment_intent_id=reserved.payment_id)
    assert old_intent.status == "canceled"
