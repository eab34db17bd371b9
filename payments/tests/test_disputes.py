import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from payments import gateway
from payments.models import Dispute, Payout, Transaction
from payments.services import (
    dispute_open,
    dispute_resolve_refund,
    dispute_resolve_release,
    transaction_purchase,
    transaction_refund,
)
from payments.tests.helpers import CARD_OK, past_event
from payments.tests.stripe_helpers import seller_onboarded
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(buyer, listing):
    return transaction_purchase(
        buyer=buyer, listing_id=listing.pk, payment_method_id=CARD_OK
    ).transaction


@pytest.fixture
def dispute(buyer, paid):
    return dispute_open(
        buyer=buyer,
        transaction_id=paid.pk,
        reason=Dispute.Reason.INVALID_TICKET,
        description="The scanner refused the barcode at the door.",
    )


@pytest.fixture
def staff():
    return StaffFactory()


def test_buyer_opens_a_dispute_and_the_payout_stays_held(dispute, paid, buyer, seller):
    paid.refresh_from_db()
    assert paid.status == Transaction.Status.DISPUTED
    assert dispute.status == Dispute.Status.OPEN
    assert Payout.objects.get(transaction=paid).status == Payout.Status.HELD
    assert seller.notifications.filter(type="dispute_opened").count() == 1
    assert buyer.notifications.filter(type="dispute_opened").count() == 1
    assert AuditLog.objects.filter(action="dispute.opened").exists()


@pytest.mark.parametrize(
    ("case", "error", "reason"),
    [
        ("not the buyer", NotFound, None),
        ("bad reason", ValidationFailed, "INVALID_CHOICE"),
        ("empty description", ValidationFailed, "EMPTY"),
        ("long description", ValidationFailed, "TOO_LONG"),
        ("already disputed", ValidationFailed, "NOT_DISPUTABLE"),
        ("completed", ValidationFailed, "NOT_DISPUTABLE"),
        ("window closed", ValidationFailed, "DISPUTE_WINDOW_CLOSED"),
    ],
)
def test_refused_disputes_change_nothing(case, error, reason, buyer, paid, db_snapshot):
    kwargs = {
        "buyer": buyer,
        "transaction_id": paid.pk,
        "reason": Dispute.Reason.NOT_RECEIVED,
        "description": "Nothing arrived.",
    }
    if case == "not the buyer":
        kwargs["buyer"] = UserFactory()
    elif case == "bad reason":
        kwargs["reason"] = "changed_my_mind"
    elif case == "empty description":
        kwargs["description"] = "   "
    elif case == "long description":
        kwargs["description"] = "x" * 4001
    elif case == "already disputed":
        dispute_open(**kwargs)
    elif case == "completed":
        Transaction.objects.filter(pk=paid.pk).update(status="completed")
    elif case == "window closed":
        ticket = paid.listing.ticket
        ticket.event = past_event(hours_ago=49)
        ticket.save()
    before = db_snapshot()

    with pytest.raises(error) as exc:
        dispute_open(**kwargs)

    if reason:
        assert exc.value.details["reason"] == reason
    assert db_snapshot() == before


def test_refund_resolution_refunds_at_stripe_voids_the_ticket_and_cancels_the_payout(
    dispute, paid, staff, buyer, seller
):
    dispute_resolve_refund(staff=staff, dispute_id=dispute.pk, note="Barcode already used.")

    dispute.refresh_from_db()
    paid.refresh_from_db()
    assert (dispute.status, dispute.resolved_by, dispute.resolution_note) == (
        Dispute.Status.RESOLVED_REFUND,
        staff,
        "Barcode already used.",
    )
    assert (paid.status, paid.payment_status) == ("refunded", "refunded")
    assert Ticket.objects.get(pk=paid.listing.ticket_id).status == Ticket.Status.VOID
    assert Payout.objects.get(transaction=paid).status == Payout.Status.CANCELLED
    refunds = gateway.stripe_client().v1.refunds.list(params={"payment_intent": paid.payment_id})
    assert [r.amount for r in refunds.data] == [5500]
    assert buyer.notifications.filter(type="dispute_resolved").count() == 1
    assert seller.notifications.filter(type="dispute_resolved").count() == 1


def test_release_resolution_completes_the_sale_and_transfers_the_payout(
    dispute, paid, staff, seller, django_capture_on_commit_callbacks
):
    seller_onboarded(seller)

    with django_capture_on_commit_callbacks(execute=True):
        dispute_resolve_release(staff=staff, dispute_id=dispute.pk, note="Buyer got in.")

    dispute.refresh_from_db()
    paid.refresh_from_db()
    assert dispute.status == Dispute.Status.RESOLVED_RELEASE
    assert paid.status == Transaction.Status.COMPLETED
    assert Payout.objects.get(transaction=paid).status == Payout.Status.PAID
    assert seller.notifications.filter(type="payout").count() == 1


def test_a_settled_dispute_cannot_be_settled_again(dispute, staff, db_snapshot):
    dispute_resolve_refund(staff=staff, dispute_id=dispute.pk)
    before = db_snapshot()

    for resolve in (dispute_resolve_refund, dispute_resolve_release):
        with pytest.raises(ValidationFailed):
            resolve(staff=staff, dispute_id=dispute.pk)

    assert db_snapshot() == before


def test_only_staff_settle_disputes(dispute, buyer, db_snapshot):
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        dispute_resolve_refund(staff=buyer, dispute_id=dispute.pk)

    assert db_snapshot() == before


def test_stripe_down_during_a_refund_changes_nothing(dispute, staff, settings, db_snapshot):
    from marketplace.testing import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    before = db_snapshot()

    with pytest.raises(gateway.ServiceUnavailable):
        dispute_resolve_refund(staff=staff, dispute_id=dispute.pk)

    assert db_snapshot() == before


def test_staff_refund_a_paid_purchase_without_dispute(paid, staff, buyer, seller):
    transaction_refund(staff=staff, transaction_id=paid.pk, note="Event postponed.")

    paid.refresh_from_db()
    assert paid.status == Transaction.Status.REFUNDED
    assert Ticket.objects.get(pk=paid.listing.ticket_id).status == Ticket.Status.VOID
    assert buyer.notifications.get(type="refund").payload["role"] == "buyer"
    assert seller.notifications.get(type="refund").payload["role"] == "seller"


def _admin_action(client, staff, url, action, ids, confirm=False, note=""):
    client.force_login(staff)
    data = {"action": action, ACTION_CHECKBOX_NAME: ids}
    if confirm:
        data.update(post="yes", note=note)
    return client.post(url, data)


@pytest.mark.parametrize(
    ("action", "status"),
    [("resolve_refund", "resolved_refund"), ("resolve_release", "resolved_release")],
)
def test_admin_action_asks_for_confirmation_then_settles(client, dispute, staff, action, status):
    url = reverse("admin:payments_dispute_changelist")

    page = _admin_action(client, staff, url, action, [dispute.pk])

    assert page.status_code == 200
    assert b"cannot be undone" in page.content
    assert str(dispute).encode() in page.content
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN

    done = _admin_action(client, staff, url, action, [dispute.pk], confirm=True, note="Checked.")

    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution_note) == (status, "Checked.")
    audit = AuditLog.objects.get(action=f"dispute.{status}")
    assert (audit.actor, audit.ip_address) == (staff, "127.0.0.1")


def test_admin_action_on_a_settled_dispute_reports_the_error(client, dispute, staff):
    dispute_resolve_release(staff=staff, dispute_id=dispute.pk)
    url = reverse("admin:payments_dispute_changelist")

    response = _admin_action(client, staff, url, "resolve_refund", [dispute.pk], confirm=True)

    assert response.status_code == 302
    messages = [m.message for m in response.wsgi_request._messages]
    assert any("already settled" in m for m in messages)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.RESOLVED_RELEASE


def test_transaction_admin_refund_action(client, paid, staff):
    url = reverse("admin:payments_transaction_changelist")

    _admin_action(client, staff, url, "refund", [paid.pk], confirm=True)

    paid.refresh_from_db()
    assert paid.status == Transaction.Status.REFUNDED
