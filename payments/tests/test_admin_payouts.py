"""Payouts and chargebacks in the admin: failed transfers found by a filter and
sent again by an action; chargebacks in the dispute queue beside buyers'
reports, not settled by staff."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory
from marketplace.core.models import AuditLog
from payments.models import Dispute, Payout, Transaction
from payments.services import chargeback_open, transaction_confirm
from payments.tests.factories import DisputeFactory, PayoutAccountFactory, PayoutFactory
from payments.tests.stripe_helpers import (
    account_needs_more,
    onboarding_complete,
    paid_purchase,
    seller_onboarded,
)

pytestmark = pytest.mark.django_db

PAYOUTS = reverse("admin:payments_payout_changelist")
DISPUTES = reverse("admin:payments_dispute_changelist")


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_attention_filter_finds_failed_waiting_and_frozen_payouts(staff_client):
    failed = PayoutFactory(status=Payout.Status.FAILED, next_attempt_at=timezone.now())
    given_up = PayoutFactory(status=Payout.Status.FAILED, next_attempt_at=None)
    waiting = PayoutFactory(
        status=Payout.Status.HELD, transaction__status=Transaction.Status.COMPLETED
    )
    frozen = PayoutFactory(status=Payout.Status.FROZEN)
    # held in escrow (not released yet), or waiting for a seller who can now receive
    PayoutFactory(status=Payout.Status.HELD)
    ready = PayoutFactory(
        status=Payout.Status.HELD, transaction__status=Transaction.Status.COMPLETED
    )
    PayoutAccountFactory(user=ready.seller)
    PayoutFactory(status=Payout.Status.PAID)

    def shown(choice):
        response = staff_client.get(PAYOUTS, {"attention": choice})
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert shown("failed") == {failed, given_up}
    assert shown("given_up") == {given_up}
    assert shown("awaiting_account") == {waiting}
    assert shown("frozen") == {frozen}


def test_the_payout_page_shows_stripes_reason_and_the_transfer(staff_client):
    payout = PayoutFactory(
        status=Payout.Status.FAILED,
        failure_code="account_invalid",
        failure_message="The destination account cannot receive transfers.",
        attempts=2,
    )

    listing = staff_client.get(PAYOUTS).content.decode()
    page = staff_client.get(reverse("admin:payments_payout_change", args=[payout.pk]))

    assert "The destination account cannot receive transfers." in listing
    html = page.content.decode()
    assert "account_invalid" in html and 'name="_save"' not in html


def test_staff_send_a_failed_payout_again_from_the_admin(
    staff_client, staff, buyer, seller, listing, django_capture_on_commit_callbacks
):
    account = seller_onboarded(seller)
    account_needs_more(account.stripe_account_id)
    txn = paid_purchase(buyer, listing)
    with django_capture_on_commit_callbacks(execute=True):
        transaction_confirm(buyer=buyer, transaction_id=txn.pk)
    payout = Payout.objects.get(transaction=txn)
    assert payout.status == Payout.Status.FAILED
    # the seller fixes their account with Stripe
    from payments.services import payout_account_onboard

    onboarding_complete(
        payout_account_onboard(
            user=seller, return_url="http://testserver/r", refresh_url="http://testserver/f"
        )[1]
    )
    form = {"action": "retry", "_selected_action": [payout.pk]}

    confirm_page = staff_client.post(PAYOUTS, form)
    assert confirm_page.status_code == 200
    assert "Send the payout again" in confirm_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = staff_client.post(PAYOUTS, {**form, "post": "yes", "note": ""}, follow=True)

    assert "Send the payout again: 1 done." in done.content.decode()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert AuditLog.objects.filter(action="payout.scheduled", actor=staff).exists()


def test_a_payout_that_did_not_fail_is_not_sent_again(staff_client):
    payout = PayoutFactory(status=Payout.Status.HELD)
    form = {"action": "retry", "_selected_action": [payout.pk], "post": "yes", "note": ""}

    response = staff_client.post(PAYOUTS, form, follow=True)

    assert "Only a failed payout can be sent again." in response.content.decode()
    assert Payout.objects.get(pk=payout.pk).status == Payout.Status.HELD


def test_chargebacks_wait_in_the_queue_beside_buyers_reports(staff_client, buyer, listing):
    txn = paid_purchase(buyer, listing)
    report = DisputeFactory()
    chargeback = chargeback_open(
        dispute={
            "id": "du_queue",
            "amount": 5500,
            "charge": txn.charge_id,
            "payment_intent": txn.payment_id,
            "reason": "fraudulent",
            "status": "needs_response",
        }
    )

    queue = staff_client.get(DISPUTES)
    only_chargebacks = staff_client.get(DISPUTES, {"kind__exact": "chargeback"})
    page = staff_client.get(reverse("admin:payments_dispute_change", args=[chargeback.pk]))

    assert set(queue.context["cl"].result_list) == {report, chargeback}
    assert list(only_chargebacks.context["cl"].result_list) == [chargeback]
    html = page.content.decode()
    assert "du_queue" in html and "fraudulent" in html
    assert "decided by the buyer" in html  # staff answer the bank in Stripe's dashboard


def test_settling_a_chargeback_from_the_queue_is_refused(staff_client, buyer, listing):
    txn = paid_purchase(buyer, listing)
    chargeback = chargeback_open(
        dispute={"id": "du_x", "amount": 5500, "charge": txn.charge_id, "status": "needs_response"}
    )
    form = {
        "action": "resolve_refund",
        "_selected_action": [chargeback.pk],
        "post": "yes",
        "note": "",
    }

    response = staff_client.post(DISPUTES, form, follow=True)

    assert "The buyer&#x27;s bank settles a chargeback" in response.content.decode()
    assert Dispute.objects.get(pk=chargeback.pk).status == Dispute.Status.OPEN
