"""A moved event (ARCHITECTURE.md, rule 12): open listings expire at the new
start; buyers whose money Encore holds are told once per move and may choose
a full refund instead, for POSTPONEMENT_REFUND_DAYS, on the page and the API."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event
from events.services import event_update
from listings.models import Listing
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from messaging.models import Email
from payments.models import Payout, Transaction
from payments.services import event_moved_notify_step, transaction_confirm
from payments.tests.helpers import listing_on_sale
from payments.tests.stripe_helpers import paid_purchase, refund_amounts
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _move(event, days: int, capture):
    with capture(execute=True):
        return event_update(
            actor=event.organizer,
            event=event,
            event_date=event.event_date + datetime.timedelta(days=days),
        )


def _window_passed(event, paid, settings):
    """The move happened POSTPONEMENT_REFUND_DAYS + 1 days ago, after the payment."""
    moved_at = timezone.now() - datetime.timedelta(days=settings.POSTPONEMENT_REFUND_DAYS + 1)
    Event.objects.filter(pk=event.pk).update(moved_at=moved_at)
    Transaction.objects.filter(pk=paid.pk).update(paid_at=moved_at - datetime.timedelta(days=1))


@pytest.fixture
def paid(event):
    return paid_purchase(UserFactory(), listing_on_sale(event))


@pytest.fixture
def moved(event, paid, django_capture_on_commit_callbacks):
    _move(event, 7, django_capture_on_commit_callbacks)
    event.refresh_from_db()
    return event


def test_a_move_tells_each_buyer_in_escrow_once_with_the_refund_deadline(
    event, paid, django_capture_on_commit_callbacks, settings
):
    on_sale = listing_on_sale(event)
    completed = paid_purchase(UserFactory(), listing_on_sale(event))
    transaction_confirm(buyer=completed.buyer, transaction_id=completed.pk)

    _move(event, 7, django_capture_on_commit_callbacks)

    event.refresh_from_db()
    assert event.moved_at is not None
    assert AuditLog.objects.filter(action="event.moved", entity_id=str(event.pk)).count() == 1
    # The listing on sale expires at the new start.
    assert Listing.objects.get(pk=on_sale.pk).expires_at == event.starts_at
    # The buyer in escrow is told, with until when they may choose a refund.
    told = paid.buyer.notifications.get(type="event_moved")
    until = event.moved_at + datetime.timedelta(days=settings.POSTPONEMENT_REFUND_DAYS)
    assert told.payload["refund_until"] == until.isoformat()
    assert told.payload["starts_at"] == event.starts_at.isoformat()
    body = Email.objects.get(notification=told).body
    assert "Refund me instead" in body and "€55.00" in body
    # The buyer whose sale completed is not (the seller has the money).
    assert not completed.buyer.notifications.filter(type="event_moved").exists()
    # Running the job again tells nobody twice; a second move tells again.
    assert event_moved_notify_step(event_id=event.pk) is False
    assert paid.buyer.notifications.filter(type="event_moved").count() == 1
    _move(event, 1, django_capture_on_commit_callbacks)
    assert paid.buyer.notifications.filter(type="event_moved").count() == 2


def test_a_time_change_moves_the_listings_expiry_too(event, django_capture_on_commit_callbacks):
    on_sale = listing_on_sale(event)
    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=event.organizer, event=event, event_time=datetime.time(21, 30))
    event.refresh_from_db()
    assert Listing.objects.get(pk=on_sale.pk).expires_at == event.starts_at
    assert event.moved_at is not None


def test_a_draft_moving_is_not_a_move_buyers_hear_of(django_capture_on_commit_callbacks):
    from events.tests.factories import EventFactory

    draft = EventFactory(status=Event.Status.DRAFT)
    _move(draft, 3, django_capture_on_commit_callbacks)
    draft.refresh_from_db()
    assert draft.moved_at is None


def test_the_buyer_chooses_a_refund_through_the_api(api_as, moved, paid):
    before = ok_data(api_as(paid.buyer).get(f"/api/v1/transactions/{paid.pk}"))
    action = before["actions"]["postponement_refund"]
    assert action["allowed"] is True and action["until"]

    response = api_as(paid.buyer).post(f"/api/v1/transactions/{paid.pk}/postponement-refund")

    data = ok_data(response)
    assert (data["status"], data["payment_status"]) == ("refunded", "refunded")
    assert data["actions"]["postponement_refund"] == {"allowed": False, "until": None}
    paid.refresh_from_db()
    assert refund_amounts(paid) == [5500]
    assert Ticket.objects.get(pk=paid.listing.ticket_id).status == Ticket.Status.VOID
    assert Payout.objects.get(transaction=paid).status == Payout.Status.CANCELLED
    refund = paid.buyer.notifications.get(type="refund")
    assert (refund.payload["reason"], refund.payload["price"]) == ("event_moved", "55.00")
    # Twice refunds once.
    again = api_as(paid.buyer).post(f"/api/v1/transactions/{paid.pk}/postponement-refund")
    assert error_of(again, 400, "VALIDATION_ERROR")["details"]["reason"] == "NOT_REFUNDABLE"
    assert refund_amounts(paid) == [5500]


def test_after_the_window_the_api_refuses_with_a_clear_error_and_changes_nothing(
    api_as, moved, paid, settings, db_snapshot
):
    _window_passed(moved, paid, settings)
    data = ok_data(api_as(paid.buyer).get(f"/api/v1/transactions/{paid.pk}"))
    assert data["actions"]["postponement_refund"]["allowed"] is False
    before = db_snapshot()

    response = api_as(paid.buyer).post(f"/api/v1/transactions/{paid.pk}/postponement-refund")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "POSTPONEMENT_REFUND_CLOSED"
    assert "closedAt" in error["details"]
    assert "ended on" in error["message"]
    assert db_snapshot() == before
    assert refund_amounts(paid) == []


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("not moved", "EVENT_NOT_MOVED"),
        ("paid after the move", "EVENT_NOT_MOVED"),
        ("completed", "NOT_REFUNDABLE"),
        ("event started", "POSTPONEMENT_REFUND_CLOSED"),
    ],
)
def test_refusals(case, reason, api_as, event, paid, db_snapshot):
    moved_at = timezone.now()
    if case == "not moved":
        moved_at = None
    elif case == "paid after the move":
        moved_at = paid.paid_at - datetime.timedelta(minutes=1)
    elif case == "completed":
        transaction_confirm(buyer=paid.buyer, transaction_id=paid.pk)
    elif case == "event started":
        start = timezone.localtime() - datetime.timedelta(hours=1)
        Event.objects.filter(pk=event.pk).update(
            event_date=start.date(), event_time=start.time().replace(microsecond=0)
        )
    Event.objects.filter(pk=event.pk).update(moved_at=moved_at)
    before = db_snapshot()

    response = api_as(paid.buyer).post(f"/api/v1/transactions/{paid.pk}/postponement-refund")

    assert error_of(response, 400, "VALIDATION_ERROR")["details"]["reason"] == reason
    assert db_snapshot() == before


def test_the_seller_cannot_choose_the_buyers_refund(api_as, moved, paid):
    response = api_as(paid.seller).post(f"/api/v1/transactions/{paid.pk}/postponement-refund")
    error_of(response, 403, "FORBIDDEN")
    assert Transaction.objects.get(pk=paid.pk).status == "paid"


def test_the_transaction_page_offers_the_refund_and_the_buttonrefund_amounts(
    client, moved, paid, django_assert_max_num_queries
):
    client.force_login(paid.buyer)
    url = reverse("payments:transaction", args=[paid.pk])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    html = page.content.decode()
    assert "The event has a new date" in html
    action = reverse("payments:postponement-refund", args=[paid.pk])
    assert f'action="{action}"' in html

    response = client.post(action)

    assert response.status_code == 302
    paid.refresh_from_db()
    assert (paid.status, refund_amounts(paid)) == ("refunded", [5500])
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("refunded in full" in note for note in notes)
    after = client.get(url).content.decode()
    assert "The event has a new date" not in after
    assert "chose a full refund instead of the new date" in after


def test_after_the_window_the_page_says_why_and_changes_nothing(client, moved, paid, settings):
    _window_passed(moved, paid, settings)
    client.force_login(paid.buyer)
    url = reverse("payments:transaction", args=[paid.pk])
    assert "The event has a new date" not in client.get(url).content.decode()

    response = client.post(reverse("payments:postponement-refund", args=[paid.pk]))

    assert response.status_code == 302
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("The time to choose a refund after the event moved ended" in n for n in notes)
    assert Transaction.objects.get(pk=paid.pk).status == "paid"


def test_the_periodic_job_tells_buyers_nobody_told(event, paid):
    from payments import tasks

    # given a move whose task was lost (no on-commit callbacks run here)
    event_update(
        actor=event.organizer, event=event, event_date=event.event_date + datetime.timedelta(3)
    )
    assert not paid.buyer.notifications.filter(type="event_moved").exists()

    assert tasks.event_changes_resume() == 1

    assert paid.buyer.notifications.filter(type="event_moved").count() == 1
    assert tasks.event_changes_resume() == 0
