"""After the sale: "My purchases", "My sales", the transaction page with its
timeline, ticket, payout and thread, "Confirm I received it" and "Report a problem"."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from messaging.tests.factories import MessageFactory
from payments.models import Dispute, Payout, Transaction
from payments.services import (
    reservations_release_expired,
    transaction_pay,
    transaction_purchase,
)
from payments.tests.factories import DisputeFactory, PayoutFactory, TransactionFactory
from payments.tests.helpers import CARD_OK, past_event

pytestmark = pytest.mark.django_db


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def paid(buyer, listing):
    """A purchase paid through localstripe: the ticket is the buyer's, the payout held."""
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    return transaction_pay(
        buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_OK
    ).transaction


# --- My purchases, My sales ------------------------------------------------------


def test_my_purchases_lists_the_buyers_transactions_with_event_price_and_status(client, buyer):
    mine = TransactionFactory(buyer=buyer, listing__ticket__event__name="Lankum at Vicar St")
    TransactionFactory(listing__ticket__event__name="Somebody Else's Gig")
    client.force_login(buyer)

    response = client.get(reverse("payments:purchases"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lankum at Vicar St" in html
    assert "Somebody Else" not in html
    assert reverse("payments:transaction", args=[mine.pk]) in html
    assert "€55.00" in html
    assert 'class="status status-paid"' in html


def test_my_sales_lists_the_sellers_transactions_with_their_payout(client, seller):
    TransactionFactory(listing__seller=seller, listing__ticket__owner=seller)
    TransactionFactory()
    client.force_login(seller)

    response = client.get(reverse("payments:sales"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<tr>") == 2  # the header and one sale
    assert "€50.60" in html  # 55.00 less the 8% fee


def test_a_pending_purchase_links_to_its_checkout(client, buyer, listing):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    client.force_login(buyer)

    html = client.get(reverse("payments:purchases")).content.decode()

    assert reverse("payments:checkout", args=[txn.pk]) in html


def test_my_purchases_says_so_when_there_are_none(client, buyer):
    client.force_login(buyer)

    html = client.get(reverse("payments:purchases")).content.decode()

    assert "You have not bought a ticket yet." in html


def test_my_purchases_is_paginated(client, buyer):
    TransactionFactory.create_batch(23, buyer=buyer)
    client.force_login(buyer)

    first = client.get(reverse("payments:purchases")).content.decode()
    second = client.get(reverse("payments:purchases"), {"page": 2}).content.decode()

    assert first.count('data-label="Event"') == 20
    assert second.count('data-label="Event"') == 3
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("name", ["payments:purchases", "payments:sales"])
def test_transaction_lists_take_the_same_queries_for_2_or_20_rows(
    client, rows, name, buyer, seller, django_assert_max_num_queries
):
    for _ in range(rows):
        TransactionFactory(buyer=buyer, listing__seller=seller, listing__ticket__owner=seller)
    client.force_login(buyer if name == "payments:purchases" else seller)

    with django_assert_max_num_queries(5):
        response = client.get(reverse(name))

    assert response.content.decode().count('data-label="Event"') == rows


@pytest.mark.parametrize("name", ["payments:purchases", "payments:sales"])
def test_transaction_lists_need_a_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- The transaction page --------------------------------------------------------


def test_buyer_sees_the_timeline_the_ticket_download_and_the_actions(client, buyer, paid):
    client.force_login(buyer)

    response = client.get(reverse("payments:transaction", args=[paid.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"timeline-done timeline-reserved.*?Reserved", html, re.S)
    assert re.search(r"timeline-done timeline-paid.*?Paid", html, re.S)
    assert re.search(r"timeline-current timeline-completed.*?Ticket received", html, re.S)
    assert reverse("tickets:file", args=[paid.listing.ticket_id]) in html
    assert re.search(r"<button[^>]*>Confirm I received it</button>", html)
    assert re.search(
        r'<a[^>]*href="{}"[^>]*>Report a problem</a>'.format(
            reverse("payments:dispute", args=[paid.pk])
        ),
        html,
    )
    assert "Your payout" not in html


def test_seller_sees_the_payout_held_and_no_buyer_actions(client, seller, paid):
    client.force_login(seller)

    response = client.get(reverse("payments:transaction", args=[paid.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your payout" in html
    assert "Held in escrow" in html
    assert "€50.60" in html
    assert "Confirm I received it" not in html
    assert "Report a problem" not in html
    assert reverse("tickets:file", args=[paid.listing.ticket_id]) not in html


def test_staff_see_any_transaction_read_only(client, paid):
    client.force_login(StaffFactory())

    response = client.get(reverse("payments:transaction", args=[paid.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Seller's payout" in html
    assert "Confirm I received it" not in html
    assert 'action="{}"'.format(reverse("payments:message-send", args=[paid.pk])) not in html


def test_someone_elses_transaction_is_404(client, paid):
    client.force_login(UserFactory())

    assert client.get(reverse("payments:transaction", args=[paid.pk])).status_code == 404


def test_unknown_transaction_is_404(client, buyer):
    client.force_login(buyer)

    assert client.get(reverse("payments:transaction", args=[424242])).status_code == 404


def test_transaction_page_needs_a_login(client, paid):
    response = client.get(reverse("payments:transaction", args=[paid.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_timeline_of_an_expired_reservation_says_the_ticket_went_back_on_sale(
    client, buyer, listing
):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    reservations_release_expired()
    client.force_login(buyer)

    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    assert re.search(r"timeline-done timeline-cancelled.*?Cancelled", html, re.S)
    assert "The reservation expired and the ticket went back on sale." in html
    assert "conversation is closed" in html


def test_timeline_of_a_disputed_then_refunded_purchase(client, buyer):
    txn = TransactionFactory(buyer=buyer, status=Transaction.Status.REFUNDED)
    DisputeFactory(
        transaction=txn,
        status=Dispute.Status.RESOLVED_REFUND,
        resolved_at=timezone.now(),
    )
    client.force_login(buyer)

    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    for step in ("Reserved", "Problem reported", "Problem settled", "Refunded"):
        assert step in html
    assert "Resolved: refunded" in html
    assert "Confirm I received it" not in html


@pytest.mark.parametrize("rows", [2, 20])
def test_transaction_page_takes_the_same_queries_for_2_or_20_messages(
    client, rows, buyer, seller, django_assert_max_num_queries
):
    txn = TransactionFactory(buyer=buyer, listing__seller=seller, listing__ticket__owner=seller)
    PayoutFactory(transaction=txn)
    for i in range(rows):
        MessageFactory(transaction=txn, sender=buyer if i % 2 else seller)
    client.force_login(seller)

    with django_assert_max_num_queries(13):
        response = client.get(reverse("payments:transaction", args=[txn.pk]))

    assert response.content.decode().count('class="message-body"') == rows


# --- Confirm I received it -------------------------------------------------------


def test_buyer_confirms_receipt_and_the_seller_payout_is_released(
    client, buyer, paid, django_capture_on_commit_callbacks
):
    client.force_login(buyer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payments:confirm", args=[paid.pk]))

    assert response["Location"] == reverse("payments:transaction", args=[paid.pk])
    paid.refresh_from_db()
    assert paid.status == Transaction.Status.COMPLETED
    # The seller has no payout account yet: the payout waits for it.
    assert Payout.objects.get(transaction=paid).status == Payout.Status.HELD
    assert paid.seller.notifications.filter(type="payout_account_needed").count() == 1
    html = client.get(response["Location"]).content.decode()
    assert "The sale is complete" in html
    assert "The buyer confirmed they have the ticket." in html


@pytest.mark.parametrize("who", ["seller", "stranger"])
def test_only_the_buyer_can_confirm(client, who, seller, paid, db_snapshot):
    client.force_login(seller if who == "seller" else UserFactory())
    before = db_snapshot()

    response = client.post(reverse("payments:confirm", args=[paid.pk]))

    assert response.status_code == 404
    assert db_snapshot() == before


def test_confirming_twice_says_it_is_not_possible_and_changes_nothing(client, buyer, db_snapshot):
    txn = TransactionFactory(buyer=buyer, status=Transaction.Status.COMPLETED)
    client.force_login(buyer)
    before = db_snapshot()

    response = client.post(reverse("payments:confirm", args=[txn.pk]))

    assert response["Location"] == reverse("payments:transaction", args=[txn.pk])
    assert any("can be confirmed" in m for m in page_messages(response))
    assert db_snapshot() == before


def test_confirm_only_answers_post(client, buyer, paid):
    client.force_login(buyer)

    assert client.get(reverse("payments:confirm", args=[paid.pk])).status_code == 405


# --- Report a problem ------------------------------------------------------------


def test_dispute_form_has_a_labelled_reason_select_and_description(client, buyer, paid):
    client.force_login(buyer)

    response = client.get(reverse("payments:dispute", args=[paid.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_reason">' in html
    assert '<select name="reason" id="id_reason"' in html
    assert '<label for="id_description">' in html
    assert "The ticket was refused at the door" in html


def test_buyer_reports_a_problem_and_the_payout_stays_held(client, buyer, paid):
    client.force_login(buyer)

    response = client.post(
        reverse("payments:dispute", args=[paid.pk]),
        {"reason": "invalid_ticket", "description": "The scanner said the barcode was used."},
    )

    assert response["Location"] == reverse("payments:transaction", args=[paid.pk])
    paid.refresh_from_db()
    assert paid.status == Transaction.Status.DISPUTED
    dispute = Dispute.objects.get(transaction=paid)
    assert (dispute.reason, dispute.status) == ("invalid_ticket", "open")
    assert Payout.objects.get(transaction=paid).status == Payout.Status.HELD
    html = client.get(response["Location"]).content.decode()
    assert "Problem reported" in html
    assert "Report a problem" not in html


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"reason": "bored", "description": "x"}, "reason", "Choose one of the reasons"),
        ({"reason": "", "description": "x"}, "reason", "Choose a reason."),
        ({"reason": "other", "description": ""}, "description", "Describe the problem."),
        ({"reason": "other", "description": "   "}, "description", "Describe the problem."),
        ({"reason": "other", "description": "x" * 4001}, "description", "at most 4000"),
    ],
)
def test_bad_dispute_input_is_shown_next_to_the_field_and_changes_nothing(
    client, data, field, error, buyer, paid, db_snapshot
):
    client.force_login(buyer)
    before = db_snapshot()

    response = client.post(reverse("payments:dispute", args=[paid.pk]), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'id="id_{field}_errors"><li>[^<]*{re.escape(error)}', html)
    assert db_snapshot() == before


def test_the_dispute_window_closed_is_a_form_error(client, buyer, db_snapshot):
    txn = TransactionFactory(buyer=buyer, listing__ticket__event=past_event(hours_ago=100))
    client.force_login(buyer)
    before = db_snapshot()

    response = client.post(
        reverse("payments:dispute", args=[txn.pk]),
        {"reason": "not_received", "description": "Never came."},
    )

    assert response.status_code == 200
    assert "The time to report a problem with this purchase has passed." in (
        response.content.decode()
    )
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["seller", "stranger"])
def test_only_the_buyer_can_report_a_problem(client, who, seller, paid, db_snapshot):
    client.force_login(seller if who == "seller" else UserFactory())
    before = db_snapshot()

    get = client.get(reverse("payments:dispute", args=[paid.pk]))
    post = client.post(
        reverse("payments:dispute", args=[paid.pk]),
        {"reason": "other", "description": "Not mine to report."},
    )

    assert (get.status_code, post.status_code) == (404, 404)
    assert db_snapshot() == before


def test_reporting_a_problem_on_a_completed_purchase_goes_back_to_it(client, buyer):
    txn = TransactionFactory(buyer=buyer, status=Transaction.Status.COMPLETED)
    client.force_login(buyer)

    response = client.get(reverse("payments:dispute", args=[txn.pk]))

    assert response["Location"] == reverse("payments:transaction", args=[txn.pk])


def test_dispute_page_needs_a_login(client, paid):
    response = client.get(reverse("payments:dispute", args=[paid.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
