"""Cards whose bank asks the card holder to authenticate (3-D Secure, Strong
Customer Authentication): the payment waits for them on the page and in the
API, turns paid from Stripe's webhook once they pass, and after a failed or
abandoned check nothing is charged and the buyer may try again while the
reservation lasts.

Against the local Stripe: card 4000 0027 6000 3184 (pm_card_authenticationRequired)
always asks; the bank's answer is given through the route Stripe.js's
authentication step calls (stripe_helpers.authenticate).
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from marketplace.core.errors import PaymentFailed, TicketNotAvailable
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data, wait_for
from payments import gateway
from payments.models import Transaction
from payments.services import (
    transaction_abandon,
    transaction_pay,
    transaction_payment_sync,
    transaction_purchase,
)
from payments.tests.helpers import CARD_DECLINED, CARD_OK
from payments.tests.stripe_helpers import CARD_3DS, authenticate
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

PURCHASE = "/api/v1/transactions/purchase"


def _pay_url(txn) -> str:
    return f"/api/v1/transactions/{txn.pk}/pay"


def _reserved(buyer, listing) -> Transaction:
    return transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction


# --- the services ----------------------------------------------------------------


def test_a_card_that_needs_authentication_leaves_the_purchase_waiting_for_the_card_holder(
    buyer, listing
):
    purchase = transaction_purchase(buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_3DS)

    txn = purchase.transaction
    assert (txn.status, txn.payment_status) == ("pending_payment", "requires_action")
    assert purchase.next_action["type"] == "use_stripe_sdk"
    assert purchase.client_secret.startswith(txn.payment_id + "_secret_")
    intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
    assert intent.status == "requires_action"
    # The ticket stays reserved for this buyer; nothing is charged yet.
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.RESERVED
    assert intent.charge_id == ""
    assert AuditLog.objects.filter(action="transaction.authentication_required").count() == 1


def test_passing_the_banks_check_pays_the_purchase(buyer, listing):
    txn = transaction_purchase(
        buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_3DS
    ).transaction

    authenticate(txn, success=True)
    synced = transaction_payment_sync(transaction_id=txn.pk).transaction

    assert (synced.status, synced.payment_status) == ("paid", "succeeded")
    assert synced.charge_id.startswith("ch_")
    assert Ticket.objects.get(pk=listing.ticket_id).owner == buyer


def test_a_failed_check_charges_nothing_and_keeps_the_reservation_for_another_card(buyer, listing):
    txn = transaction_purchase(
        buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_3DS
    ).transaction
    reserved_until = txn.reserved_until

    authenticate(txn, success=False)
    waiting = transaction_payment_sync(transaction_id=txn.pk).transaction

    assert (waiting.status, waiting.payment_status) == ("pending_payment", "pending")
    assert waiting.reserved_until == reserved_until  # the clock goes on, unchanged
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.RESERVED
    assert AuditLog.objects.filter(action="transaction.authentication_failed").count() == 1

    # then the buyer pays with another card, within the same reservation
    paid = transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_OK)

    assert paid.transaction.status == Transaction.Status.PAID
    assert paid.transaction.payment_attempts == 2
    assert Transaction.objects.filter(listing=listing).count() == 1


def test_the_same_card_may_try_the_check_again_after_a_failure(buyer, listing):
    txn = _reserved(buyer, listing)
    first = transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_3DS)
    authenticate(first.transaction, success=False)
    transaction_payment_sync(transaction_id=txn.pk)

    again = transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_3DS)

    assert again.next_action is not None
    assert again.transaction.payment_status == "requires_action"
    authenticate(txn, success=True)
    assert transaction_payment_sync(transaction_id=txn.pk).transaction.status == "paid"


def test_too_many_attempts_on_one_reservation_put_the_ticket_back_on_sale(buyer, listing, settings):
    settings.PAYMENT_ATTEMPTS_MAX = 2
    txn = _reserved(buyer, listing)
    for _ in range(2):
        transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_3DS)
        authenticate(txn, success=False)
        transaction_payment_sync(transaction_id=txn.pk)

    with pytest.raises(PaymentFailed) as exc:
        transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_OK)

    assert exc.value.details == {"reason": "too_many_attempts", "limit": 2}
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.CANCELLED
    assert listing.__class__.objects.get(pk=listing.pk).status == "active"


def test_a_declined_card_still_releases_the_reservation(buyer, listing):
    txn = _reserved(buyer, listing)

    with pytest.raises(PaymentFailed):
        transaction_pay(buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_DECLINED)

    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.CANCELLED


def test_an_abandoned_check_ends_with_the_reservation(buyer, listing):
    txn = transaction_purchase(
        buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_3DS
    ).transaction
    Transaction.objects.filter(pk=txn.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    from payments.services import reservations_release_expired

    assert reservations_release_expired() == 1

    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.CANCELLED
    assert gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).status == "canceled"


def test_the_buyer_may_give_up_the_reservation(buyer, listing, django_capture_on_commit_callbacks):
    txn = transaction_purchase(
        buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_3DS
    ).transaction

    with django_capture_on_commit_callbacks(execute=True):
        transaction_abandon(buyer=buyer, transaction_id=txn.pk)

    txn.refresh_from_db()
    assert txn.status == Transaction.Status.CANCELLED
    assert AuditLog.objects.filter(action="transaction.cancelled").get().changes["reason"] == (
        "abandoned"
    )
    assert gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).status == "canceled"
    with pytest.raises(TicketNotAvailable):
        transaction_abandon(buyer=buyer, transaction_id=txn.pk)


# --- the API -------------------------------------------------------------------


def test_api_purchase_with_such_a_card_answers_201_with_the_next_action(api_as, buyer, listing):
    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_3DS}, format="json"
    )

    data = ok_data(response, 201)
    assert (data["status"], data["payment_status"]) == ("pending_payment", "requires_action")
    assert data["client_secret"].startswith("pi_")
    assert data["next_action"]["type"] == "use_stripe_sdk"


def test_api_pay_with_such_a_card_answers_200_with_the_next_action(api_as, buyer, listing):
    txn = _reserved(buyer, listing)

    response = api_as(buyer).post(_pay_url(txn), {"payment_method_id": CARD_3DS}, format="json")

    data = ok_data(response)
    assert data["payment_status"] == "requires_action"
    assert data["next_action"]["type"] == "use_stripe_sdk"
    assert data["client_secret"]


def test_api_paid_card_answers_no_next_action(api_as, buyer, listing):
    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_OK}, format="json"
    )

    data = ok_data(response, 201)
    assert (data["status"], data["next_action"]) == ("paid", None)


@pytest.mark.django_db(transaction=True)
def test_api_the_partners_app_completes_the_check_and_the_webhook_pays_it(
    stripe_webhooks, api_as, buyer, listing
):
    # given: the partner's app bought with a card that needs authentication
    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_3DS}, format="json"
    )
    txn = Transaction.objects.get(pk=ok_data(response, 201)["id"])

    # when: Stripe's SDK runs the bank's check and the card holder passes
    authenticate(txn, success=True)

    # then: Stripe's webhook turns the transaction paid, with nothing else asked
    wait_for(
        lambda: Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID,
        what="payment_intent.succeeded to pay the transaction",
    )
    detail = ok_data(api_as(buyer).get(f"/api/v1/transactions/{txn.pk}"))
    assert (detail["status"], detail["payment_status"]) == ("paid", "succeeded")


@pytest.mark.django_db(transaction=True)
def test_api_a_failed_check_then_another_card_pays_within_the_reservation(
    stripe_webhooks, api_as, buyer, listing
):
    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_3DS}, format="json"
    )
    txn = Transaction.objects.get(pk=ok_data(response, 201)["id"])

    authenticate(txn, success=False)
    # Stripe's payment_intent.payment_failed (authentication failed) keeps the reservation.
    wait_for(
        lambda: Transaction.objects.get(pk=txn.pk).payment_status == "pending",
        what="the failed authentication's webhook",
    )
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PENDING_PAYMENT

    paid = ok_data(api_as(buyer).post(_pay_url(txn), {"payment_method_id": CARD_OK}, format="json"))
    assert (paid["status"], paid["next_action"]) == ("paid", None)


BAD_PAYMENT_METHODS = {
    "control characters": "pm_card\x00visa",
    "a line break": "pm_card_visa\r\nX-Injected: 1",
    "not Latin-1": "pm_card_visa€",
    "too long": "pm_" + "a" * 250,
    "not a Stripe id": "visa",
    "a space": "pm_card visa",
}


@pytest.mark.parametrize("value", BAD_PAYMENT_METHODS.values(), ids=BAD_PAYMENT_METHODS)
def test_api_a_malformed_payment_method_is_refused_before_any_stripe_call(
    api_as, buyer, listing, value, settings, db_snapshot
):
    reserved = _reserved(buyer, listing)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # a call to Stripe would answer 503
    before = db_snapshot()

    purchase = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": value}, format="json"
    )
    pay = api_as(buyer).post(_pay_url(reserved), {"payment_method_id": value}, format="json")

    for response in (purchase, pay):
        error = error_of(response, 400, "VALIDATION_ERROR")
        assert error["details"]["field"] == "payment_method_id"
    assert db_snapshot() == before


def test_api_an_unknown_payment_method_is_refused_and_nothing_is_reserved(
    api_as, buyer, listing, db_snapshot
):
    before = db_snapshot()

    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": "pm_doesnotexist"}, format="json"
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {
        "field": "payment_method_id",
        "reason": "UNKNOWN_PAYMENT_METHOD",
    }
    assert db_snapshot() == before


# --- the checkout page ------------------------------------------------------------


def _pay_page(client, txn, payment_method_id):
    return client.post(
        reverse("payments:pay", args=[txn.pk]), {"payment_method_id": payment_method_id}
    )


def test_page_pay_with_such_a_card_answers_the_checkout_with_the_banks_step(client, buyer, listing):
    txn = _reserved(buyer, listing)
    client.force_login(buyer)

    response = _pay_page(client, txn, CARD_3DS)

    assert response.status_code == 200
    html = response.content.decode()
    intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
    assert f'data-client-secret="{intent.client_secret}"' in html
    assert 'data-autostart="true"' in html
    assert "Your bank asks you to confirm this payment" in html
    assert reverse("payments:authenticated", args=[txn.pk]) in html
    # The countdown goes on; another card may be used.
    assert 'id="countdown"' in html and 'id="payment-form"' in html


def test_page_after_a_failed_check_says_why_and_offers_the_card_form_again(client, buyer, listing):
    txn = _reserved(buyer, listing)
    client.force_login(buyer)
    _pay_page(client, txn, CARD_3DS)
    authenticate(txn, success=False)

    response = client.post(reverse("payments:authenticated", args=[txn.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your bank did not confirm the payment" in html
    assert "nothing was charged" in html
    assert 'id="payment-form"' in html
    txn.refresh_from_db()
    assert (txn.status, txn.payment_status) == ("pending_payment", "pending")

    # and another card goes through, within the same reservation
    response = _pay_page(client, txn, CARD_OK)
    assert response["Location"] == reverse("payments:checkout-done", args=[txn.pk])
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID


def test_page_after_a_passed_check_goes_to_the_done_page(client, buyer, listing):
    txn = _reserved(buyer, listing)
    client.force_login(buyer)
    _pay_page(client, txn, CARD_3DS)
    authenticate(txn, success=True)

    response = client.post(reverse("payments:authenticated", args=[txn.pk]))

    assert response["Location"] == reverse("payments:checkout-done", args=[txn.pk])
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID


def test_page_reloaded_while_the_bank_waits_offers_the_step_again(client, buyer, listing):
    txn = _reserved(buyer, listing)
    client.force_login(buyer)
    _pay_page(client, txn, CARD_3DS)

    response = client.get(reverse("payments:checkout", args=[txn.pk]))

    html = response.content.decode()
    assert 'id="authenticate-panel"' in html
    assert 'data-autostart="false"' in html


@pytest.mark.parametrize("value", BAD_PAYMENT_METHODS.values(), ids=BAD_PAYMENT_METHODS)
def test_page_a_malformed_payment_method_is_a_form_error_and_changes_nothing(
    client, buyer, listing, value, settings, db_snapshot
):
    txn = _reserved(buyer, listing)
    client.force_login(buyer)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    before = db_snapshot()

    response = _pay_page(client, txn, value)

    assert response.status_code == 200
    error = re.search(r'id="card-errors" role="alert">([^<]*)<', response.content.decode())
    assert error and error.group(1).strip()
    assert db_snapshot() == before


def test_page_cancel_gives_the_ticket_back_at_once(client, buyer, listing):
    txn = _reserved(buyer, listing)
    client.force_login(buyer)

    response = client.post(reverse("payments:cancel", args=[txn.pk]))

    assert response.status_code == 302
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.CANCELLED
    assert listing.__class__.objects.get(pk=listing.pk).status == "active"


def test_page_cancel_is_the_buyers_alone(client, seller, buyer, listing, db_snapshot):
    txn = _reserved(buyer, listing)
    client.force_login(seller)
    before = db_snapshot()

    response = client.post(reverse("payments:cancel", args=[txn.pk]))

    assert response.status_code == 404
    assert db_snapshot() == before


def test_api_a_buyer_who_finds_the_ticket_taken_gets_409_without_a_call_to_stripe(
    api_as, buyer, listing, settings, db_snapshot
):
    # In a rush only buyers who may still win ask Stripe about their card.
    other = UserFactory()
    _reserved(other, listing)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # a call to Stripe would answer 503
    before = db_snapshot()

    response = api_as(buyer).post(
        PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_OK}, format="json"
    )

    error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before
