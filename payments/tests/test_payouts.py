"""Sellers paid into their own Stripe accounts: a Connect transfer of
seller_payout when the escrow releases, from the buyer's charge
(source_transaction), grouped with it (transfer_group). A payout waits while
the seller cannot receive money and goes once they can; a refused transfer is
marked failed with Stripe's reason and retried; a refund after the money went
out takes the transfer back first.
"""

import datetime
import inspect

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import ok_data, wait_for
from payments import gateway
from payments.models import Payout, PayoutAccount, Transaction
from payments.services import (
    dispute_open,
    dispute_resolve_release,
    payout_account_onboard,
    payout_account_reminders,
    payout_retry,
    payout_send,
    payouts_send_due,
    transaction_confirm,
    transaction_refund,
    transactions_auto_confirm_due,
)
from payments.tests.stripe_helpers import (
    account_needs_more,
    onboarding_complete,
    paid_purchase,
    seller_onboarded,
    transfers_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(buyer, listing):
    return paid_purchase(buyer, listing)


def _confirm(buyer, txn, capture):
    with capture(execute=True):
        transaction_confirm(buyer=buyer, transaction_id=txn.pk)
    return Payout.objects.get(transaction=txn)


def test_release_transfers_the_sellers_share_from_the_buyers_charge(
    buyer, seller, paid, django_capture_on_commit_callbacks
):
    account = seller_onboarded(seller)

    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)

    assert payout.status == Payout.Status.PAID
    [transfer] = transfers_of(paid)
    assert (transfer.id, transfer.amount, transfer.currency) == (payout.transfer_id, 5060, "eur")
    assert transfer.destination == account.stripe_account_id
    assert transfer.source_transaction == paid.charge_id
    assert transfer.transfer_group == f"encore-txn-{paid.pk}"
    assert transfer.metadata["payout_id"] == str(payout.pk)
    paid_row = AuditLog.objects.get(action="payout.paid", entity_id=str(payout.pk))
    assert paid_row.changes["transfer_id"] == transfer.id


def test_a_seller_without_an_account_is_asked_and_the_payout_waits_then_goes(
    buyer, seller, paid, django_capture_on_commit_callbacks
):
    # given: the buyer confirms before the seller has payout details
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)
    assert payout.status == Payout.Status.HELD
    assert seller.notifications.filter(type="payout_account_needed").count() == 1
    assert transfers_of(paid) == []
    assert payouts_send_due() == 0  # the job sends nothing while it waits

    # when: the seller onboards (the return page or Stripe's webhook tells Encore)
    with django_capture_on_commit_callbacks(execute=True):
        seller_onboarded(seller)

    # then: the waiting payout is transferred
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert len(transfers_of(paid)) == 1
    assert seller.notifications.filter(type="payout").count() == 1


def test_the_periodic_job_sends_waiting_payouts_whose_seller_can_now_receive(
    buyer, seller, paid, django_capture_on_commit_callbacks
):
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)
    # The account was enabled without Encore hearing of it at once (a webhook late).
    account = seller_onboarded(seller)
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.HELD)

    assert payouts_send_due() == 1

    payout.refresh_from_db()
    assert (payout.status, account.can_receive) == (Payout.Status.PAID, True)


def test_sellers_waiting_for_payout_details_are_reminded_now_and_then(
    buyer, seller, paid, settings, django_capture_on_commit_callbacks
):
    settings.PAYOUT_ACCOUNT_REMINDER_DAYS = 3
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)

    assert payout_account_reminders() == 0  # just asked at the release
    Payout.objects.filter(pk=payout.pk).update(
        reminded_at=timezone.now() - datetime.timedelta(days=4)
    )
    assert payout_account_reminders() == 1
    assert payout_account_reminders() == 0
    reminders = seller.notifications.filter(type="payout_account_needed")
    assert [n.payload.get("reminder", False) for n in reminders.order_by("id")] == [False, True]


def test_auto_confirmation_and_a_dispute_settled_for_the_seller_transfer_too(
    buyer, seller, listing, django_capture_on_commit_callbacks
):
    from listings.tests.factories import ListingFactory
    from payments.tests.helpers import past_event
    from tickets.tests.factories import TicketFactory

    seller_onboarded(seller)
    event = past_event(hours_ago=72)
    auto = paid_purchase(buyer, listing)
    disputed = paid_purchase(
        buyer, ListingFactory(ticket=TicketFactory(owner=seller, status="listed"), seller=seller)
    )
    dispute = dispute_open(
        buyer=buyer, transaction_id=disputed.pk, reason="other", description="Late entry."
    )
    listing.ticket.event = event
    listing.ticket.save(update_fields=["event"])

    with django_capture_on_commit_callbacks(execute=True):
        assert transactions_auto_confirm_due() == 1
        dispute_resolve_release(staff=StaffFactory(), dispute_id=dispute.pk)

    for txn in (auto, disputed):
        assert Payout.objects.get(transaction=txn).status == Payout.Status.PAID
        assert len(transfers_of(txn)) == 1


def test_a_transfer_stripe_refuses_is_failed_with_stripes_reason_then_retried(
    buyer, seller, paid, settings, django_capture_on_commit_callbacks
):
    settings.PAYOUT_RETRY_MINUTES = 15
    account = seller_onboarded(seller)
    # Stripe restricts the account after Encore last heard from it.
    account_needs_more(account.stripe_account_id)

    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)

    assert payout.status == Payout.Status.FAILED
    assert "capabilit" in payout.failure_message  # Stripe's own words
    assert payout.attempts == 1
    assert payout.next_attempt_at > timezone.now() + datetime.timedelta(minutes=14)
    assert seller.notifications.filter(type="payout_failed").count() == 1
    failed = AuditLog.objects.get(action="payout.failed")
    assert failed.changes["failure_message"] == payout.failure_message

    # not yet due: the job leaves it
    assert payouts_send_due() == 0
    # the seller fixes their account; when the retry is due, the job sends it
    onboarding_complete(
        payout_account_onboard(
            user=seller, return_url="http://testserver/r", refresh_url="http://testserver/f"
        )[1]
    )
    Payout.objects.filter(pk=payout.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        payouts_send_due()

    payout.refresh_from_db()
    assert (payout.status, payout.failure_message) == (Payout.Status.PAID, "")
    assert len(transfers_of(paid)) == 1


def test_retries_back_off_and_end_for_staff_to_look(
    buyer, seller, paid, settings, django_capture_on_commit_callbacks
):
    settings.PAYOUT_MAX_ATTEMPTS = 2
    account = seller_onboarded(seller)
    account_needs_more(account.stripe_account_id)
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)
    first_wait = payout.next_attempt_at - timezone.now()

    Payout.objects.filter(pk=payout.pk).update(next_attempt_at=timezone.now())
    payouts_send_due()

    payout.refresh_from_db()
    assert (payout.status, payout.attempts, payout.next_attempt_at) == ("failed", 2, None)
    assert first_wait > datetime.timedelta(minutes=1)
    assert seller.notifications.filter(type="payout_failed").count() == 2

    # staff send it again once the seller fixed things
    onboarding_complete(
        payout_account_onboard(
            user=seller, return_url="http://testserver/r", refresh_url="http://testserver/f"
        )[1]
    )
    with django_capture_on_commit_callbacks(execute=True):
        payout_retry(staff=StaffFactory(), payout_id=payout.pk)
    assert Payout.objects.get(pk=payout.pk).status == Payout.Status.PAID


def test_only_a_failed_payout_can_be_retried(buyer, seller, paid, db_snapshot):
    payout = Payout.objects.get(transaction=paid)
    staff = StaffFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed):
        payout_retry(staff=staff, payout_id=payout.pk)

    assert db_snapshot() == before


def test_a_seller_whose_account_stopped_receiving_waits_again(buyer, seller, paid):
    account = seller_onboarded(seller)
    Transaction.objects.filter(pk=paid.pk).update(status=Transaction.Status.COMPLETED)
    payout = Payout.objects.get(transaction=paid)
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.SCHEDULED)
    PayoutAccount.objects.filter(pk=account.pk).update(payouts_enabled=False)

    assert payout_send(payout_id=payout.pk) is False

    assert Payout.objects.get(pk=payout.pk).status == Payout.Status.HELD
    assert transfers_of(paid) == []


def test_a_staff_refund_after_the_transfer_takes_it_back_then_refunds(
    buyer, seller, paid, django_capture_on_commit_callbacks
):
    seller_onboarded(seller)
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)
    assert payout.status == Payout.Status.PAID

    transaction_refund(staff=StaffFactory(), transaction_id=paid.pk, note="Refused at the door.")

    payout.refresh_from_db()
    assert payout.status == Payout.Status.REVERSED
    transfer = gateway.stripe_client().v1.transfers.retrieve(payout.transfer_id)
    assert (transfer.reversed, transfer.amount_reversed) == (True, 5060)
    refunds = gateway.stripe_client().v1.refunds.list(params={"payment_intent": paid.payment_id})
    assert [r.amount for r in refunds.data] == [5500]
    paid.refresh_from_db()
    assert (paid.status, paid.payment_status) == ("refunded", "refunded")
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions.index("payout.reversed") < actions.index("transaction.refunded")


def test_a_refund_that_fails_after_the_reversal_is_retried_and_reverses_once(
    buyer, seller, paid, settings, django_capture_on_commit_callbacks, monkeypatch
):
    seller_onboarded(seller)
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)
    staff = StaffFactory()

    # given: Stripe fails the refund (after the reversal went through)
    def refund_unavailable(**kwargs):
        raise gateway.ServiceUnavailable()

    monkeypatch.setattr(gateway, "refund_create", refund_unavailable)
    with pytest.raises(gateway.ServiceUnavailable):
        transaction_refund(staff=staff, transaction_id=paid.pk)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REVERSED  # recorded in its own step
    assert Transaction.objects.get(pk=paid.pk).status == Transaction.Status.COMPLETED
    monkeypatch.undo()

    # when: staff try again
    transaction_refund(staff=staff, transaction_id=paid.pk)

    # then: one reversal, one refund
    reversals = gateway.stripe_client().v1.transfers.reversals.list(payout.transfer_id)
    assert len(reversals.data) == 1
    assert AuditLog.objects.filter(action="payout.reversed").count() == 1
    assert Transaction.objects.get(pk=paid.pk).status == Transaction.Status.REFUNDED


def test_a_refund_before_the_release_cancels_the_payout(buyer, seller, paid):
    transaction_refund(staff=StaffFactory(), transaction_id=paid.pk)

    assert Payout.objects.get(transaction=paid).status == Payout.Status.CANCELLED
    assert not AuditLog.objects.filter(action="payout.reversed").exists()


def test_the_gateway_cannot_pay_encores_own_bank_on_a_sellers_behalf():
    import payments.gateway as package

    assert not hasattr(gateway, "payout_create")
    for module in (package.client, package.intents, package.connect):
        assert ".payouts." not in inspect.getsource(module)


# --- the API and the page ------------------------------------------------------------


def test_api_lists_the_sellers_own_payouts(
    api_as, buyer, seller, paid, django_capture_on_commit_callbacks
):
    seller_onboarded(seller)
    payout = _confirm(buyer, paid, django_capture_on_commit_callbacks)

    response = api_as(seller).get("/api/v1/payouts")

    [row] = ok_data(response)
    assert row == {
        "id": payout.pk,
        "transaction_id": paid.pk,
        "amount": "50.60",
        "currency": "EUR",
        "status": "paid",
        "transfer_id": payout.transfer_id,
        "failure_reason": "",
        "next_attempt_at": None,
        "scheduled_at": row["scheduled_at"],
        "paid_at": row["paid_at"],
        "created_at": row["created_at"],
    }
    assert response.json()["meta"]["pagination"]["total"] == 1
    assert ok_data(api_as(buyer).get("/api/v1/payouts")) == []
    assert ok_data(api_as(UserFactory()).get("/api/v1/payouts")) == []


@pytest.mark.parametrize("count", [2, 20])
def test_api_payouts_queries_do_not_grow_with_the_page(
    api_as, seller, count, django_assert_max_num_queries
):
    from payments.tests.factories import PayoutFactory

    for _ in range(count):
        PayoutFactory(
            transaction__listing__seller=seller, transaction__listing__ticket__owner=seller
        )

    with django_assert_max_num_queries(6):
        data = ok_data(api_as(seller).get("/api/v1/payouts?limit=100"))

    assert len(data) == count


def test_page_shows_the_transfer_paid_with_its_sale(
    client, buyer, seller, paid, django_capture_on_commit_callbacks
):
    seller_onboarded(seller)
    _confirm(buyer, paid, django_capture_on_commit_callbacks)
    client.force_login(seller)

    html = client.get(reverse("payments:payouts")).content.decode()

    assert "Ready" in html and "Your sales are paid into your Stripe account" in html
    assert 'class="status status-paid"' in html
    assert reverse("payments:transaction", args=[paid.pk]) in html
    assert "€50.60" in html


@pytest.mark.django_db(transaction=True)
def test_webhook_onboarding_then_confirm_pays_the_seller(stripe_webhooks, buyer, seller, listing):
    # The whole journey with Stripe's own messages: onboarding reaches Encore
    # by account.updated, the release by the buyer makes the transfer.
    account, url = payout_account_onboard(
        user=seller, country="IE", return_url="http://testserver/r", refresh_url="http://t/f"
    )
    onboarding_complete(url)
    wait_for(
        lambda: PayoutAccount.objects.get(pk=account.pk).can_receive,
        what="account.updated",
    )
    txn = paid_purchase(buyer, listing)

    transaction_confirm(buyer=buyer, transaction_id=txn.pk)  # eager task sends it

    wait_for(
        lambda: Payout.objects.get(transaction=txn).status == Payout.Status.PAID,
        what="the transfer",
    )
    assert len(transfers_of(txn)) == 1
