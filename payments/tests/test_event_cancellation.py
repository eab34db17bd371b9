"""A cancelled event settles its sales (ARCHITECTURE.md, rule 12): listings
withdrawn, reservations released, purchases in escrow refunded exactly once
(even when the job is killed and restarted, or runs twice at once), purchases
already paid out handed to staff; from the organizer's page, the admin and
the API alike."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from events.services import event_update
from listings.models import Listing
from marketplace.core.models import AuditLog
from marketplace.testing import ok_data, run_in_threads, wait_for
from messaging.models import Email
from payments import gateway, tasks
from payments.models import (
    Dispute,
    EventCancellation,
    EventCancellationOutcome,
    Payout,
    Transaction,
)
from payments.services import (
    dispute_open,
    event_cancellation_step,
    transaction_confirm,
    transaction_purchase,
)
from payments.services import event_changes as event_changes_module
from payments.tests.helpers import listing_on_sale
from payments.tests.stripe_helpers import paid_purchase, refund_amounts
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(event):
    """One of each: a listing on sale, a reservation awaiting payment, a paid
    purchase in escrow, and a purchase the buyer confirmed (seller paid)."""
    on_sale = listing_on_sale(event)
    reserved = transaction_purchase(
        buyer=UserFactory(), listing_id=listing_on_sale(event).pk
    ).transaction
    paid = paid_purchase(UserFactory(), listing_on_sale(event))
    completed = paid_purchase(UserFactory(), listing_on_sale(event, price="60.00"))
    transaction_confirm(buyer=completed.buyer, transaction_id=completed.pk)
    return SimpleNamespace(on_sale=on_sale, reserved=reserved, paid=paid, completed=completed)


def _assert_settled(event, sales):
    # The listing on sale: withdrawn, the ticket back with its seller, who is told.
    listing = Listing.objects.get(pk=sales.on_sale.pk)
    assert listing.status == Listing.Status.CANCELLED
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.AVAILABLE
    told = listing.seller.notifications.get(type="event_cancelled")
    assert told.payload["situation"] == "listing_withdrawn"
    # The reservation: released, its PaymentIntent cancelled at Stripe, the listing withdrawn.
    reserved = Transaction.objects.get(pk=sales.reserved.pk)
    assert reserved.status == Transaction.Status.CANCELLED
    intent = gateway.payment_intent_retrieve(payment_intent_id=reserved.payment_id)
    assert intent.status == "canceled"
    assert Listing.objects.get(pk=reserved.listing_id).status == Listing.Status.CANCELLED
    # The paid purchase: refunded once, ticket void, payout cancelled, the amount told.
    paid = Transaction.objects.get(pk=sales.paid.pk)
    assert (paid.status, paid.payment_status, paid.event_cancellation) == (
        "refunded",
        "refunded",
        EventCancellationOutcome.REFUNDED,
    )
    assert refund_amounts(paid) == [5500]
    assert Ticket.objects.get(pk=paid.listing.ticket_id).status == Ticket.Status.VOID
    assert Payout.objects.get(transaction=paid).status == Payout.Status.CANCELLED
    refund = paid.buyer.notifications.get(type="refund")
    assert (refund.payload["price"], refund.payload["reason"]) == ("55.00", "event_cancelled")
    email = Email.objects.get(notification=refund)
    assert "€55.00" in email.body and "The event was cancelled" in email.body
    # The completed purchase: nothing taken back, listed for staff, the buyer told.
    completed = Transaction.objects.get(pk=sales.completed.pk)
    assert completed.status == Transaction.Status.COMPLETED
    assert completed.event_cancellation == EventCancellationOutcome.FOR_STAFF
    assert refund_amounts(completed) == []
    told = completed.buyer.notifications.get(type="event_cancelled")
    assert (told.payload["situation"], told.payload["price"]) == ("paid_out", "60.00")
    # The run, finished, counted each once.
    run = EventCancellation.objects.get(event=event)
    assert (
        run.state,
        run.reservations_released,
        run.listings_withdrawn,
        run.refunded,
        run.handed_to_staff,
        run.failed,
    ) == ("finished", 1, 2, 1, 1, 0)
    assert run.finished_at is not None
    assert AuditLog.objects.filter(action="event.cancellation_finished").count() == 1


def test_cancelling_through_the_service_settles_every_sale(
    event, sales, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    event.refresh_from_db()
    assert event.status == "cancelled" and event.cancelled_at is not None
    assert AuditLog.objects.filter(action="event.cancelled", entity_id=str(event.pk)).exists()
    _assert_settled(event, sales)


def test_the_organizers_page_cancels_and_settles(
    client, event, sales, django_capture_on_commit_callbacks
):
    client.force_login(event.organizer)
    data = {
        "name": event.name,
        "description": event.description,
        "event_date": event.event_date.isoformat(),
        "event_time": event.event_time.strftime("%H:%M"),
        "venue_name": event.venue_name,
        "location": event.location,
        "city": event.city,
        "country": event.country,
        "postal_code": event.postal_code,
        "category": event.category,
        "status": "cancelled",
        "image_url": event.image_url,
        "tiers-TOTAL_FORMS": "0",
        "tiers-INITIAL_FORMS": "0",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/organizer/events/{event.pk}/edit/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    _assert_settled(event, sales)


def test_the_api_put_cancels_and_settles(api_as, event, sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(event.organizer).put(
            f"/api/v1/events/{event.pk}", {"status": "cancelled"}, format="json"
        )

    assert ok_data(response)["status"] == "cancelled"
    _assert_settled(event, sales)


def test_the_admin_action_asks_then_cancels_and_the_page_shows_the_progress(
    client, event, sales, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client.force_login(StaffFactory())
    changelist = reverse("admin:events_event_changelist")
    form = {"action": "cancel_events", ACTION_CHECKBOX_NAME: [event.pk]}

    asked = client.post(changelist, form)
    assert asked.status_code == 200 and b"Cancel events" in asked.content
    assert Event.objects.get(pk=event.pk).status == "published"

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(changelist, {**form, "post": "yes", "note": ""})

    assert done.status_code == 302
    _assert_settled(event, sales)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("admin:events_event_change", args=[event.pk]))
    html = page.content.decode()
    assert "cancellation progress" in html.lower()
    assert "1 purchases refunded, 1 handed to staff" in html
    staff_list = client.get(
        reverse("admin:payments_transaction_changelist") + "?event_cancelled=for_staff"
    )
    assert list(staff_list.context["cl"].result_list) == [sales.completed]


def test_the_admin_change_form_cancels_through_the_service(
    client, event, sales, django_capture_on_commit_callbacks
):
    client.force_login(StaffFactory())
    url = reverse("admin:events_event_change", args=[event.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, dict)
    }
    data.update(
        status="cancelled",
        organizer=event.organizer_id,
        event_date=event.event_date.isoformat(),
        event_time=event.event_time.strftime("%H:%M:%S"),
        metadata="{}",
        **{
            "price_tiers-TOTAL_FORMS": "0",
            "price_tiers-INITIAL_FORMS": "0",
            "price_tiers-MIN_NUM_FORMS": "0",
            "price_tiers-MAX_NUM_FORMS": "1000",
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    _assert_settled(event, sales)


class Killed(BaseException):
    """The worker dies (SIGKILL, out of memory): no except clause catches it."""


def test_a_run_killed_in_the_middle_of_a_refund_resumes_and_refunds_each_once(event, monkeypatch):
    # given three paid purchases, the event cancelled without its job running
    paid = [paid_purchase(UserFactory(), listing_on_sale(event)) for _ in range(3)]
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)
    real = event_changes_module._open_buyer_dispute_settle
    calls = {"n": 0}

    def dies_on_the_second(txn, now):
        calls["n"] += 1
        if calls["n"] == 2:
            # Stripe has refunded the second purchase; our commit never happens.
            raise Killed
        return real(txn, now)

    monkeypatch.setattr(event_changes_module, "_open_buyer_dispute_settle", dies_on_the_second)

    # when the job is killed half-way through its batch
    with pytest.raises(Killed):
        event_cancellation_step(event_id=event.pk)

    # then the first is refunded, the second not yet in our books, though Stripe refunded it
    states = [Transaction.objects.get(pk=t.pk).status for t in paid]
    assert states == ["refunded", "paid", "paid"]
    assert refund_amounts(paid[1]) == [5500]
    assert EventCancellation.objects.get(event=event).refunded == 1

    # when it starts again (a worker picks the run up)
    monkeypatch.setattr(event_changes_module, "_open_buyer_dispute_settle", real)
    assert event_cancellation_step(event_id=event.pk) is False

    # then each purchase is refunded exactly once, at Stripe and in the books
    for txn in paid:
        txn.refresh_from_db()
        assert (txn.status, refund_amounts(txn)) == ("refunded", [5500])
        assert txn.buyer.notifications.filter(type="refund").count() == 1
    run = EventCancellation.objects.get(event=event)
    assert (run.state, run.refunded, run.failed) == ("finished", 3, 0)
    assert AuditLog.objects.filter(action="transaction.refunded").count() == 3


def test_batches_resume_where_the_last_one_stopped(event, django_assert_max_num_queries):
    paid = [paid_purchase(UserFactory(), listing_on_sale(event)) for _ in range(3)]
    on_sale = [listing_on_sale(event) for _ in range(2)]
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    assert event_cancellation_step(event_id=event.pk, batch_size=2) is True
    run = EventCancellation.objects.get(event=event)
    assert (run.listings_withdrawn, run.refunded, run.state) == (2, 0, "running")
    assert event_cancellation_step(event_id=event.pk, batch_size=2) is True
    assert event_cancellation_step(event_id=event.pk, batch_size=2) is False
    # A finished run does nothing more.
    assert event_cancellation_step(event_id=event.pk, batch_size=2) is False

    run.refresh_from_db()
    assert (run.listings_withdrawn, run.refunded, run.batches, run.state) == (2, 3, 3, "finished")
    assert all(refund_amounts(t) == [5500] for t in paid)
    assert all(Listing.objects.get(pk=x.pk).status == "cancelled" for x in on_sale)


def test_a_buyers_open_dispute_is_settled_by_the_refund(event):
    txn = paid_purchase(UserFactory(), listing_on_sale(event))
    dispute = dispute_open(
        buyer=txn.buyer,
        transaction_id=txn.pk,
        reason=Dispute.Reason.NOT_RECEIVED,
        description="Nothing arrived.",
    )
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    event_cancellation_step(event_id=event.pk)

    txn.refresh_from_db()
    dispute.refresh_from_db()
    assert (txn.status, refund_amounts(txn)) == ("refunded", [5500])
    assert dispute.status == Dispute.Status.RESOLVED_REFUND


def test_a_refund_stripe_refuses_is_listed_for_staff_and_the_run_finishes(event, monkeypatch):
    from marketplace.core.errors import PaymentFailed

    txn = paid_purchase(UserFactory(), listing_on_sale(event))
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    def refuses(**kwargs):
        raise PaymentFailed("The charge is already refunded.")

    monkeypatch.setattr(gateway, "refund_create", refuses)
    assert event_cancellation_step(event_id=event.pk) is False

    txn.refresh_from_db()
    assert (txn.status, txn.event_cancellation) == ("paid", EventCancellationOutcome.REFUND_FAILED)
    run = EventCancellation.objects.get(event=event)
    assert (run.state, run.failed, run.refunded) == ("finished", 1, 0)
    assert "already refunded" in run.last_error
    told = txn.buyer.notifications.get(type="event_cancelled")
    assert told.payload["situation"] == "refund_review"


def test_stripe_down_stops_the_batch_and_the_retry_refunds_once(event, settings):
    txn = paid_purchase(UserFactory(), listing_on_sale(event))
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)
    from marketplace.core.errors import ServiceUnavailable

    api_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(ServiceUnavailable):
        event_cancellation_step(event_id=event.pk)
    assert Transaction.objects.get(pk=txn.pk).status == "paid"
    assert "Stripe unreachable" in EventCancellation.objects.get(event=event).last_error

    settings.STRIPE_API_BASE = api_base
    assert event_cancellation_step(event_id=event.pk) is False
    txn.refresh_from_db()
    assert (txn.status, refund_amounts(txn)) == ("refunded", [5500])


def test_the_periodic_job_starts_a_run_whose_task_was_lost_and_resumes_a_stale_one(event):
    # given a cancellation whose task never reached a worker (no on-commit here)
    txn = paid_purchase(UserFactory(), listing_on_sale(event))
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)
    assert not EventCancellation.objects.filter(event=event).exists()

    # when beat's job runs (eager here: the tasks it enqueues run at once)
    assert tasks.event_changes_resume() == 1

    txn.refresh_from_db()
    assert (txn.status, refund_amounts(txn)) == ("refunded", [5500])
    # A finished run is not picked up again, nor one that is moving.
    assert tasks.event_changes_resume() == 0
    other = EventFactoryCancelledWithStaleRun()
    assert tasks.event_changes_resume() == 1
    assert EventCancellation.objects.get(event=other).state == "finished"


def EventFactoryCancelledWithStaleRun():  # noqa: N802 (reads as a factory)
    from events.tests.factories import EventFactory

    other = EventFactory(status=Event.Status.CANCELLED)
    run = EventCancellation.objects.create(event=other)
    EventCancellation.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    return other


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_refund_each_purchase_once(event):
    # given four paid purchases of a cancelled event
    paid = [paid_purchase(UserFactory(), listing_on_sale(event)) for _ in range(4)]
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    # when two workers run the job at the same moment, each on its own connection
    results, _ = run_in_threads([lambda: event_cancellation_step(event_id=event.pk)] * 2)
    assert not any(isinstance(r, BaseException) for r in results), results
    while event_cancellation_step(event_id=event.pk):
        pass

    # then every purchase is refunded once, and the run counted each once
    for txn in paid:
        txn.refresh_from_db()
        assert (txn.status, refund_amounts(txn)) == ("refunded", [5500])
        assert txn.buyer.notifications.filter(type="refund").count() == 1
    run = EventCancellation.objects.get(event=event)
    assert (run.state, run.refunded) == ("finished", 4)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_receives_the_job_published_by_name(in_thread_worker, event):
    # given a paid purchase and a listing on sale
    txn = paid_purchase(UserFactory(), listing_on_sale(event))
    on_sale = listing_on_sale(event)

    # when the organizer cancels (the task is published on commit, by name, to Redis)
    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    # then the worker settles the sales
    wait_for(
        lambda: EventCancellation.objects.filter(event=event, state="finished").exists(),
        what="the cancellation run to finish",
    )
    txn.refresh_from_db()
    assert (txn.status, refund_amounts(txn)) == ("refunded", [5500])
    assert Listing.objects.get(pk=on_sale.pk).status == "cancelled"
