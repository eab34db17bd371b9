"""Disputes: Stripe's dispute test card, the test route, evidence and closing."""

import pytest
import stripe

from marketplace.testing import wait_for

from .helpers import http, paid_charge


def available(client, currency):
    balance = client.v1.balance.retrieve()
    return next((b.amount for b in balance.available if b.currency == currency), 0)


def dispute_of(client, charge):
    disputes = client.v1.disputes.list(params={"charge": charge}).data
    return disputes[0] if disputes else None


def opened_by_route(base_url, client, charge, **params):
    status, _, body = http(base_url, "POST", f"/_emulator/charges/{charge}/dispute", params)
    assert status == 200, body
    return client.v1.disputes.retrieve(body["id"])


def test_the_dispute_card_succeeds_then_is_disputed_a_moment_later(client, webhooks):
    charge, intent = paid_charge(client, amount=4200, card="pm_card_createDispute")

    assert client.v1.charges.retrieve(charge).disputed is False
    wait_for(lambda: dispute_of(client, charge) is not None, timeout=10, what="the dispute")

    dispute = dispute_of(client, charge)
    assert isinstance(dispute, stripe.Dispute)
    assert dispute.id.startswith("du_")
    assert (dispute.reason, dispute.status, dispute.amount) == (
        "fraudulent",
        "needs_response",
        4200,
    )
    assert (dispute.charge, dispute.payment_intent, dispute.currency) == (charge, intent.id, "eur")
    assert dispute.is_charge_refundable is False
    assert dispute.evidence.uncategorized_text is None
    details = dispute.evidence_details
    assert (details.has_evidence, details.past_due, details.submission_count) == (False, False, 0)
    assert details.due_by > dispute.created
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.reporting_category) == (-4200, "dispute")
    assert client.v1.charges.retrieve(charge).disputed is True
    assert [d.id for d in client.v1.disputes.list(params={"payment_intent": intent.id}).data] == [
        dispute.id
    ]
    webhooks.wait("charge.dispute.created", dispute.id)
    webhooks.wait("charge.dispute.funds_withdrawn", dispute.id)


def test_the_test_route_disputes_any_succeeded_charge(client, base_url, webhooks):
    charge, _ = paid_charge(client, amount=3000)

    dispute = opened_by_route(
        base_url, client, charge, reason="product_not_received", amount="1000"
    )

    assert (dispute.reason, dispute.amount, dispute.status) == (
        "product_not_received",
        1000,
        "needs_response",
    )
    webhooks.wait("charge.dispute.created", dispute.id)
    assert http(base_url, "POST", f"/_emulator/charges/{charge}/dispute", {})[0] == 400
    assert http(base_url, "POST", "/_emulator/charges/ch_unknown/dispute", {})[0] == 404
    unauthenticated = http(base_url, "POST", f"/_emulator/charges/{charge}/dispute", {}, key=None)
    assert unauthenticated[0] == 401


def test_winning_evidence_wins_the_dispute_and_gives_the_money_back(client, base_url, webhooks):
    charge, _ = paid_charge(client, amount=2500, currency="sek")
    before = available(client, "sek")
    dispute = opened_by_route(base_url, client, charge)
    assert available(client, "sek") == before - 2500

    submitted = client.v1.disputes.update(
        dispute.id,
        params={
            "evidence": {"uncategorized_text": "winning_evidence", "customer_name": "Ada"},
            "metadata": {"case": "1"},
        },
    )

    assert submitted.status == "under_review"
    assert submitted.evidence.customer_name == "Ada"
    assert (
        submitted.evidence_details.has_evidence,
        submitted.evidence_details.submission_count,
    ) == (
        True,
        1,
    )
    [updated] = webhooks.wait("charge.dispute.updated", dispute.id)
    assert updated.data.previous_attributes.status == "needs_response"
    [closed] = webhooks.wait("charge.dispute.closed", dispute.id)
    assert closed.data.object.status == "won"
    webhooks.wait("charge.dispute.funds_reinstated", dispute.id)
    won = client.v1.disputes.retrieve(dispute.id)
    assert won.status == "won" and len(won.balance_transactions) == 2
    assert available(client, "sek") == before


def test_losing_evidence_loses_the_dispute(client, base_url, webhooks):
    charge, _ = paid_charge(client)
    dispute = opened_by_route(base_url, client, charge)

    client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )

    [closed] = webhooks.wait("charge.dispute.closed", dispute.id)
    assert closed.data.object.status == "lost"
    assert client.v1.disputes.retrieve(dispute.id).status == "lost"
    assert webhooks.events("charge.dispute.funds_reinstated", dispute.id) == []


def test_staged_evidence_is_not_submitted(client, base_url):
    charge, _ = paid_charge(client)
    dispute = opened_by_route(base_url, client, charge)

    staged = client.v1.disputes.update(
        dispute.id, params={"evidence": {"product_description": "A ticket"}, "submit": False}
    )

    assert staged.status == "needs_response"
    assert (staged.evidence_details.has_evidence, staged.evidence_details.submission_count) == (
        True,
        0,
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.disputes.update(dispute.id, params={"evidence": {"mood": "sad"}})
    assert unknown.value.param == "evidence[mood]"


def test_closing_accepts_the_loss_at_once(client, base_url, webhooks):
    charge, _ = paid_charge(client)
    dispute = opened_by_route(base_url, client, charge)

    closed = client.v1.disputes.close(dispute.id)

    assert closed.status == "lost"
    webhooks.wait("charge.dispute.closed", dispute.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.update(
            dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
        )


def test_a_disputed_charge_cannot_be_refunded(client, base_url):
    charge, intent = paid_charge(client)
    opened_by_route(base_url, client, charge)

    with pytest.raises(stripe.InvalidRequestError) as by_intent:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as by_charge:
        client.v1.refunds.create(params={"charge": charge})

    assert by_intent.value.code == by_charge.value.code == "charge_disputed"
    assert client.v1.refunds.list(params={"charge": charge}).data == []


def test_an_unknown_dispute_is_not_found(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.disputes.retrieve("du_unknown")

    assert (error.value.http_status, error.value.code) == (404, "resource_missing")
