"""Chargebacks (ARCHITECTURE.md, rule 14): the buyer's bank reverses a card
payment. Before the release the payout freezes; after it, the transfer is
taken back. The bank's decision closes it: lost, the ticket is void and the
sale refunded in Encore's books; won, the escrow resumes. Every webhook,
delivered twice or out of order, changes the state once.

The local Stripe opens a dispute on a charge as Stripe does for card
4000 0000 0000 0259 (and through its test route for any charge), and closes
it by Stripe's documented test evidence (winning_evidence, losing_evidence).
"""

import json
import time

import pytest
import stripe
from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import wait_for
from payments import gateway
from payments.models import Dispute, Payout, StripeEvent, Transaction
from payments.services import (
    chargeback_close,
    chargeback_open,
    dispute_open,
    dispute_resolve_refund,
    transaction_confirm,
    transaction_refund,
)
from payments.tests.stripe_helpers import (
    CARD_DISPUTED,
    bank_decides,
    chargeback,
    paid_purchase,
    seller_onboarded,
    transfers_of,
)
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _dispute(txn, *, status="needs_response", dispute_id=None, amount=5500) -> dict:
    """A Stripe dispute object as its webhooks carry it."""
    return {
        "id": dispute_id or f"du_test_{txn.pk}",
        "object": "dispute",
        "amount": amount,
        "currency": "eur",
        "charge": txn.charge_id,
        "payment_intent": txn.payment_id,
        "reason": "fraudulent",
        "status": status,
    }


def _deliver(client, event_id, kind, obj):
    body = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(body, settings.STRIPE_WEBHOOK_SECRET)
    return client.post(
        reverse("payments:stripe-webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


@pytest.fixture
def paid(buyer, listing):
    return paid_purchase(buyer, listing)


@pytest.fixture
def released(buyer, seller, paid, django_capture_on_commit_callbacks):
    """A sale whose payout went out to the seller's account."""
    seller_onboarded(seller)
    with django_capture_on_commit_callbacks(execute=True):
        transaction_confirm(buyer=buyer, transaction_id=paid.pk)
    assert Payout.objects.get(transaction=paid).status == Payout.Status.PAID
    return Transaction.objects.get(pk=paid.pk)


# --- before the release: the payout freezes --------------------------------------------


def test_a_chargeback_before_the_release_freezes_the_payout_and_flags_the_sale(buyer, seller, paid):
    chargeback_open(dispute=_dispute(paid))

    paid.refresh_from_db()
    assert paid.status == Transaction.Status.DISPUTED
    assert Payout.objects.get(transaction=paid).status == Payout.Status.FROZEN
    flagged = Dispute.objects.get(transaction=paid)
    assert (flagged.kind, flagged.status, flagged.opened_by) == ("chargeback", "open", None)
    assert (flagged.stripe_dispute_id, flagged.status_before) == (f"du_test_{paid.pk}", "paid")
    assert flagged.reason == Dispute.Reason.BANK_REVERSAL
    assert buyer.notifications.filter(type="chargeback_opened").count() == 1
    assert seller.notifications.filter(type="chargeback_opened").count() == 1
    # The buyer can no longer release the money by confirming.
    with pytest.raises(ValidationFailed):
        transaction_confirm(buyer=buyer, transaction_id=paid.pk)


def test_lost_the_ticket_is_void_and_the_sale_refunded_in_encores_books(buyer, seller, paid):
    chargeback_open(dispute=_dispute(paid))

    chargeback_close(dispute=_dispute(paid, status="lost"))

    paid.refresh_from_db()
    assert (paid.status, paid.payment_status) == ("refunded", "refunded")
    assert Ticket.objects.get(pk=paid.listing.ticket_id).status == Ticket.Status.VOID
    assert Payout.objects.get(transaction=paid).status == Payout.Status.CANCELLED
    assert Dispute.objects.get(transaction=paid).status == Dispute.Status.RESOLVED_REFUND
    # No Stripe refund on top of the bank's: the money went back once.
    refunds = gateway.stripe_client().v1.refunds.list(params={"payment_intent": paid.payment_id})
    assert refunds.data == []
    assert seller.notifications.filter(type="chargeback_closed").get().payload["outcome"] == "lost"


def test_won_the_escrow_resumes_where_it_stood(buyer, seller, paid):
    chargeback_open(dispute=_dispute(paid))

    chargeback_close(dispute=_dispute(paid, status="won"))

    paid.refresh_from_db()
    assert paid.status == Transaction.Status.PAID
    assert Payout.objects.get(transaction=paid).status == Payout.Status.HELD
    assert Dispute.objects.get(transaction=paid).status == Dispute.Status.RESOLVED_RELEASE
    # and the buyer can confirm again
    transaction_confirm(buyer=buyer, transaction_id=paid.pk)


def test_a_buyers_own_report_is_settled_by_the_banks_decision(buyer, paid):
    report = dispute_open(
        buyer=buyer, transaction_id=paid.pk, reason="not_received", description="No ticket."
    )
    chargeback_open(dispute=_dispute(paid))
    staff = StaffFactory()

    # Staff cannot refund while the bank holds the money (Stripe would refuse).
    with pytest.raises(ValidationFailed) as exc:
        dispute_resolve_refund(staff=staff, dispute_id=report.pk)
    assert exc.value.details["reason"] == "CHARGEBACK_OPEN"
    with pytest.raises(ValidationFailed) as exc:
        transaction_refund(staff=staff, transaction_id=paid.pk)

    chargeback_close(dispute=_dispute(paid, status="lost"))

    report.refresh_from_db()
    assert report.status == Dispute.Status.RESOLVED_REFUND
    assert report.resolution_note == "Settled by the buyer's bank."


def test_staff_cannot_settle_a_chargeback_themselves(paid, db_snapshot):
    flagged = chargeback_open(dispute=_dispute(paid))
    staff = StaffFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        dispute_resolve_refund(staff=staff, dispute_id=flagged.pk)

    assert exc.value.details["reason"] == "SETTLED_BY_THE_BANK"
    assert db_snapshot() == before


# --- after the release: the transfer is taken back ----------------------------------------


def test_a_chargeback_after_the_release_reverses_the_transfer(seller, released):
    chargeback_open(dispute=_dispute(released))

    payout = Payout.objects.get(transaction=released)
    assert payout.status == Payout.Status.REVERSED
    transfer = gateway.stripe_client().v1.transfers.retrieve(payout.transfer_id)
    assert (transfer.reversed, transfer.amount_reversed) == (True, 5060)
    assert Transaction.objects.get(pk=released.pk).status == Transaction.Status.DISPUTED
    notice = seller.notifications.get(type="chargeback_opened")
    assert notice.payload["reversed"] is True


def test_won_after_a_reversal_the_seller_is_paid_again_by_a_new_transfer(
    released, django_capture_on_commit_callbacks
):
    chargeback_open(dispute=_dispute(released))

    with django_capture_on_commit_callbacks(execute=True):
        chargeback_close(dispute=_dispute(released, status="won"))

    payout = Payout.objects.get(transaction=released)
    assert (payout.status, payout.transfer_round) == (Payout.Status.PAID, 2)
    assert Transaction.objects.get(pk=released.pk).status == Transaction.Status.COMPLETED
    transfers = transfers_of(released)
    assert len(transfers) == 2 and transfers[0].id != transfers[1].id


def test_lost_after_a_reversal_the_money_stays_taken_back(released):
    chargeback_open(dispute=_dispute(released))

    chargeback_close(dispute=_dispute(released, status="lost"))

    assert Payout.objects.get(transaction=released).status == Payout.Status.REVERSED
    assert Transaction.objects.get(pk=released.pk).status == Transaction.Status.REFUNDED


def test_stripe_out_of_reach_for_the_reversal_records_nothing_for_stripe_to_deliver_again(
    client, released, monkeypatch, db_snapshot
):
    def unavailable(**kwargs):
        raise gateway.ServiceUnavailable()

    monkeypatch.setattr(gateway, "transfer_reversal_create", unavailable)
    before = db_snapshot()

    response = _deliver(client, "evt_cb_1", "charge.dispute.created", _dispute(released))

    # 503: Stripe delivers the event again later; nothing was recorded meanwhile.
    assert response.status_code == 503
    assert db_snapshot() == before
    monkeypatch.undo()
    assert (
        _deliver(client, "evt_cb_1", "charge.dispute.created", _dispute(released)).status_code
        == 200
    )
    assert Payout.objects.get(transaction=released).status == Payout.Status.REVERSED


# --- webhooks: three times, out of order ---------------------------------------------


def test_each_webhook_delivered_three_times_changes_the_state_once(client, buyer, seller, paid):
    created = ("evt_c", "charge.dispute.created", _dispute(paid))
    closed = ("evt_d", "charge.dispute.closed", _dispute(paid, status="lost"))

    for event in (created, created, created, closed, closed, closed):
        assert _deliver(client, *event).status_code == 200

    assert StripeEvent.objects.filter(event_id__in=("evt_c", "evt_d")).count() == 2
    assert Dispute.objects.filter(transaction=paid).count() == 1
    assert AuditLog.objects.filter(action="dispute.chargeback_opened").count() == 1
    assert AuditLog.objects.filter(action="transaction.refunded_by_bank").count() == 1
    assert buyer.notifications.filter(type="chargeback_opened").count() == 1
    assert seller.notifications.filter(type="chargeback_closed").count() == 1


def test_the_close_arriving_before_the_creation_still_applies_once(client, paid):
    # Stripe may deliver charge.dispute.closed first (its own retries, an outage).
    assert _deliver(client, "evt_d", "charge.dispute.closed", _dispute(paid, status="won"))
    assert _deliver(client, "evt_c", "charge.dispute.created", _dispute(paid))

    flagged = Dispute.objects.get(transaction=paid)
    assert flagged.status == Dispute.Status.RESOLVED_RELEASE
    assert Transaction.objects.get(pk=paid.pk).status == Transaction.Status.PAID
    assert Payout.objects.get(transaction=paid).status == Payout.Status.HELD


def test_a_dispute_of_a_payment_encore_does_not_know_changes_nothing(client, db_snapshot):
    unknown = {
        "id": "du_unknown",
        "object": "dispute",
        "amount": 100,
        "currency": "eur",
        "charge": "ch_unknown",
        "payment_intent": "pi_unknown",
        "status": "needs_response",
    }
    before = db_snapshot()

    assert _deliver(client, "evt_u", "charge.dispute.created", unknown).status_code == 200

    after = db_snapshot()
    after.pop("stripe_events"), before.pop("stripe_events")
    assert after == before


# --- end to end: Stripe's own webhooks ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_card_0259_is_charged_back_and_the_bank_decides_for_the_buyer(
    stripe_webhooks, buyer, seller, listing
):
    txn = paid_purchase(buyer, listing, card=CARD_DISPUTED)

    wait_for(
        lambda: Payout.objects.get(transaction=txn).status == Payout.Status.FROZEN,
        what="charge.dispute.created to freeze the payout",
    )
    flagged = Dispute.objects.get(transaction=txn, kind=Dispute.Kind.CHARGEBACK)
    assert flagged.stripe_reason == "fraudulent"

    bank_decides(flagged.stripe_dispute_id, won=False)

    wait_for(
        lambda: Transaction.objects.get(pk=txn.pk).status == Transaction.Status.REFUNDED,
        what="charge.dispute.closed (lost)",
    )
    assert Payout.objects.get(transaction=txn).status == Payout.Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_a_chargeback_after_the_transfer_is_reversed_and_won_back(
    stripe_webhooks, buyer, seller, listing
):
    seller_onboarded(seller)
    txn = paid_purchase(buyer, listing)
    transaction_confirm(buyer=buyer, transaction_id=txn.pk)  # the eager task transfers
    assert Payout.objects.get(transaction=txn).status == Payout.Status.PAID

    opened = chargeback(txn.charge_id)

    wait_for(
        lambda: Payout.objects.get(transaction=txn).status == Payout.Status.REVERSED,
        what="charge.dispute.created to take the transfer back",
    )
    bank_decides(opened["id"], won=True)
    wait_for(
        lambda: (
            Payout.objects.get(transaction=txn).transfer_round == 2
            and Payout.objects.get(transaction=txn).status == Payout.Status.PAID
        ),
        what="charge.dispute.closed (won) to pay the seller again",
    )
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED
