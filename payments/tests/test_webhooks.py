import json
import time

import pytest
import stripe
from django.core import mail
from django.urls import reverse

from marketplace.core.models import AuditLog
from marketplace.testing import wait_for
from payments import gateway
from payments.models import StripeEvent, Transaction
from payments.services import transaction_pay, transaction_purchase
from payments.tests.helpers import CARD_OK
from tickets.models import Ticket

URL = reverse("payments:stripe-webhook")


def _event(event_id, kind, intent_id, transaction_id, created=None):
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created or int(time.time()),
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "status": "succeeded" if kind.endswith("succeeded") else "requires_payment_method",
                "amount": 5500,
                "currency": "eur",
                "latest_charge": "ch_test_" + intent_id,
                "metadata": {"transaction_id": str(transaction_id)},
            }
        },
    }


def _post(client, event, *, secret=None, timestamp=None, signature=None):
    from django.conf import settings

    body = json.dumps(event)
    if signature is None:
        signature = stripe.WebhookSignature.generate_signature_header(
            body, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=timestamp
        )
    return client.post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.fixture
def pending(db, buyer, listing):
    return transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction


def test_succeeded_event_pays_the_transaction(client, pending, buyer, seller):
    response = _post(
        client, _event("evt_1", "payment_intent.succeeded", pending.payment_id, pending.pk)
    )

    assert response.status_code == 200
    assert response.json()["data"] == {"received": True, "replay": False}
    pending.refresh_from_db()
    assert pending.status == Transaction.Status.PAID
    ticket = Ticket.objects.get(pk=pending.listing.ticket_id)
    assert (ticket.owner, ticket.status) == (buyer, "sold")
    assert seller.notifications.filter(type="purchase").count() == 1


@pytest.mark.parametrize("kind", ["payment_intent.payment_failed", "payment_intent.canceled"])
def test_failed_or_canceled_event_cancels_and_releases_the_listing(client, pending, kind):
    response = _post(client, _event("evt_2", kind, pending.payment_id, pending.pk))

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Transaction.Status.CANCELLED
    assert pending.listing.status == "active"


@pytest.mark.parametrize(
    "case", ["wrong secret", "stale", "no signature", "garbage signature", "not json"]
)
def test_bad_signature_answers_400_and_changes_nothing(client, pending, case, db_snapshot):
    event = _event("evt_3", "payment_intent.succeeded", pending.payment_id, pending.pk)
    before = db_snapshot()

    if case == "wrong secret":
        response = _post(client, event, secret="whsec_someone_else")
    elif case == "stale":
        response = _post(client, event, timestamp=int(time.time()) - 3600)
    elif case == "no signature":
        response = client.post(URL, data=json.dumps(event), content_type="application/json")
    elif case == "garbage signature":
        response = _post(client, event, signature="t=1,v1=deadbeef")
    else:
        from django.conf import settings

        header = stripe.WebhookSignature.generate_signature_header(
            "not json", settings.STRIPE_WEBHOOK_SECRET
        )
        response = client.post(
            URL, data="not json", content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"object": "event", "type": "payment_intent.succeeded"},
        {"id": "evt_4", "object": "event"},
        {"id": "evt_5", "object": "event", "type": "payment_intent.succeeded"},
        {"id": "evt_6", "object": "event", "type": "payment_intent.succeeded", "data": {}},
        {"id": 7, "object": "event", "type": "charge.refunded"},
    ],
    ids=["no id", "no type", "no data", "no payment intent", "id not a string"],
)
def test_a_signed_body_that_is_not_a_stripe_event_answers_400(client, pending, body, db_snapshot):
    before = db_snapshot()

    response = _post(client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert db_snapshot() == before


def test_other_stripe_events_are_recorded_and_change_nothing_else(client, pending, db_snapshot):
    before = db_snapshot()

    response = _post(client, {"id": "evt_8", "object": "event", "type": "charge.refunded"})

    assert response.status_code == 200
    after = db_snapshot()
    assert len(after.pop("stripe_events")) == len(before.pop("stripe_events")) + 1
    assert after == before


def test_a_malformed_content_length_is_not_a_server_error(client, pending):
    response = client.post(URL, data="{}", content_type="application/json", CONTENT_LENGTH="lots")

    assert response.status_code == 400


def test_webhook_only_accepts_post(client):
    assert client.get(URL).status_code == 405


def test_replayed_and_out_of_order_events_change_the_state_once(
    client, pending, buyer, seller, django_capture_on_commit_callbacks
):
    succeeded = _event("evt_ok", "payment_intent.succeeded", pending.payment_id, pending.pk)
    # An older failure (a first card declined) delivered after the success.
    failed = _event(
        "evt_old_fail",
        "payment_intent.payment_failed",
        pending.payment_id,
        pending.pk,
        created=succeeded["created"] - 60,
    )

    replies = []
    for event in (succeeded, failed, succeeded, failed, succeeded):
        with django_capture_on_commit_callbacks(execute=True):
            replies.append(_post(client, event).json()["data"]["replay"])

    assert replies == [False, False, True, True, True]
    assert StripeEvent.objects.count() == 2
    pending.refresh_from_db()
    assert pending.status == Transaction.Status.PAID
    assert AuditLog.objects.filter(action="transaction.paid").count() == 1
    assert AuditLog.objects.filter(action="transaction.cancelled").count() == 0
    assert seller.notifications.filter(type="purchase").count() == 1
    assert buyer.notifications.filter(type="payment").count() == 1
    assert [m.to for m in mail.outbox].count([seller.email]) == 1


@pytest.mark.django_db(transaction=True)
def test_payment_confirmed_by_stripe_js_is_applied_from_localstripes_webhook(
    stripe_webhooks, buyer, listing
):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    # What Stripe.js does on the checkout page: confirm the card with Stripe directly.
    client = gateway.stripe_client()
    client.v1.payment_intents.update(txn.payment_id, params={"payment_method": CARD_OK})
    client.v1.payment_intents.confirm(txn.payment_id)

    wait_for(
        lambda: Transaction.objects.get(pk=txn.pk).status == Transaction.Status.PAID,
        what="localstripe's signed webhook to mark the transaction paid",
    )
    # Only this payment's: deliveries of earlier tests' events may arrive too.
    event = StripeEvent.objects.get(
        type="payment_intent.succeeded", payload__data__object__id=txn.payment_id
    )
    assert event.payload["data"]["object"]["id"] == txn.payment_id
    assert Ticket.objects.get(pk=listing.ticket_id).owner == buyer


@pytest.mark.django_db(transaction=True)
def test_confirm_response_and_webhook_apply_the_payment_once(
    stripe_webhooks, buyer, seller, listing
):
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction

    paid = transaction_pay(
        buyer=buyer, transaction_id=txn.pk, payment_method_id=CARD_OK
    ).transaction

    assert paid.status == Transaction.Status.PAID
    wait_for(
        lambda: StripeEvent.objects.filter(type="payment_intent.succeeded").exists(),
        what="localstripe's webhook",
    )
    assert AuditLog.objects.filter(action="transaction.paid", entity_id=str(txn.pk)).count() == 1
    assert seller.notifications.filter(type="purchase").count() == 1


@pytest.mark.parametrize(
    ("amount", "currency"), [(5400, "eur"), (5500, "gbp"), (550000, "eur")], ids=str
)
def test_a_payment_of_another_amount_or_currency_is_not_applied_and_staff_are_told(
    client, pending, amount, currency
):
    event = _event("evt_m", "payment_intent.succeeded", pending.payment_id, pending.pk)
    event["data"]["object"].update(amount=amount, currency=currency)

    response = _post(client, event)

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Transaction.Status.PENDING_PAYMENT
    mismatch = AuditLog.objects.get(action="transaction.payment_mismatch")
    assert mismatch.entity_id == str(pending.pk)
    assert mismatch.changes["paid"] == {"amount": amount, "currency": currency.upper()}
    assert mismatch.changes["expected"] == {"amount": 5500, "currency": "EUR"}


@pytest.mark.parametrize(
    "body", [b"[1, 2, 3]", b'"an event"', b"42", b"null", b"{not json", b"\xff\xfe"], ids=str
)
def test_a_signed_body_that_is_not_a_json_object_answers_400(client, pending, body, db_snapshot):
    from django.conf import settings

    before = db_snapshot()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    signature = stripe.WebhookSignature.generate_signature_header(
        text, settings.STRIPE_WEBHOOK_SECRET
    )

    response = client.post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert response.status_code == 400
    assert db_snapshot() == before


def test_the_connect_endpoints_deliveries_are_accepted_with_its_own_secret(
    client, pending, settings
):
    # Stripe signs connected accounts' events (account.updated) with the
    # Connect endpoint's secret, not the platform endpoint's.
    event = {"id": "evt_connect", "object": "event", "type": "account.updated"}
    event["data"] = {"object": {"id": "acct_unknown", "object": "account"}}

    refused = _post(client, event, secret="whsec_connect_endpoint")
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    accepted = _post(client, event, secret="whsec_connect_endpoint")
    platform = _post(client, {**event, "id": "evt_platform"})

    assert (refused.status_code, accepted.status_code, platform.status_code) == (400, 200, 200)
    assert StripeEvent.objects.filter(event_id__in=("evt_connect", "evt_platform")).count() == 2
