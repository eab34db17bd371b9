"""Purchases, payments and Stripe's webhooks counted on /metrics: scraped before
and after, on the API and the site alike."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from marketplace.tests.test_metrics import scrape, value
from payments.models import Transaction
from payments.services import transaction_purchase
from payments.tests.helpers import CARD_DECLINED, CARD_OK
from payments.tests.test_webhooks import _event, _post

pytestmark = pytest.mark.django_db

PURCHASE = "/api/v1/transactions/purchase"
TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def increase(before, after, name, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_an_api_purchase_paid_by_card_is_counted(
    client, api_as, buyer, listing, django_capture_on_commit_callbacks
):
    before = scrape(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(buyer).post(
            PURCHASE, {"listing_id": listing.pk, "payment_method_id": CARD_OK}
        )

    after = scrape(client)
    assert response.status_code == 201
    assert increase(before, after, "encore_purchases_total", outcome="paid") == 1
    assert increase(before, after, "encore_payments_total", outcome="succeeded") == 1
    assert (
        increase(
            before,
            after,
            "encore_http_request_duration_seconds_count",
            view="api:transactions-purchase",
            method="POST",
        )
        == 1
    )


def test_site_buy_a_conflict_and_a_declined_card_are_counted(
    client, api_as, buyer, listing, django_capture_on_commit_callbacks
):
    before = scrape(client)

    # the site's Buy reserves the ticket
    client.force_login(buyer)
    client.post(reverse("payments:buy", args=[listing.pk]))
    # someone else, a moment later, finds it taken
    late = api_as(UserFactory()).post(PURCHASE, {"listing_id": listing.pk})
    # the first buyer's card is declined: the ticket goes back on sale
    txn = Transaction.objects.get(listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        declined = api_as(buyer).post(
            f"/api/v1/transactions/{txn.pk}/pay", {"payment_method_id": CARD_DECLINED}
        )

    after = scrape(client)
    assert (late.status_code, declined.status_code) == (409, 402)
    assert increase(before, after, "encore_purchases_total", outcome="reserved") == 1
    assert increase(before, after, "encore_purchases_total", outcome="conflict") == 1
    assert increase(before, after, "encore_payments_total", outcome="failed") == 1


def test_a_purchase_refused_outright_is_counted_as_refused(client, buyer, seller, listing):
    before = scrape(client)

    with pytest.raises(Exception, match="own listing"):
        transaction_purchase(buyer=seller, listing_id=listing.pk)

    after = scrape(client)
    assert increase(before, after, "encore_purchases_total", outcome="refused") == 1


def test_webhook_deliveries_are_counted_by_type_and_result(client, buyer, listing):
    pending = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    event = _event("evt_metrics_1", "payment_intent.succeeded", pending.payment_id, pending.pk)
    before = scrape(client)

    applied = _post(client, event)
    replay = _post(client, event)
    refused = _post(client, {**event, "id": "evt_metrics_2"}, signature="t=1,v1=forged")

    after = scrape(client)
    assert [r.status_code for r in (applied, replay, refused)] == [200, 200, 400]
    kind = "payment_intent.succeeded"
    assert increase(
        before, after, "encore_stripe_webhooks_total", event_type=kind, result="applied"
    )
    assert (
        increase(before, after, "encore_stripe_webhooks_total", event_type=kind, result="replay")
        == 1
    )
    # A forged body names no series: its type is not Stripe's word.
    assert (
        increase(
            before, after, "encore_stripe_webhooks_total", event_type="unknown", result="refused"
        )
        == 1
    )
