"""The events side of a cancellation or a move: the dates stamped, the audit
rows, and the payments job asked for by name once the change commits
(payments/tests/test_event_cancellation.py and test_event_moved.py test the rest)."""

import datetime

import pytest

from events import services
from events.models import Event
from events.services import event_update
from events.tests.factories import EventFactory
from marketplace.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    return EventFactory()


@pytest.fixture
def published_tasks(monkeypatch):
    sent = []
    monkeypatch.setattr(
        services,
        "enqueue_named_on_commit",
        lambda name, *args, fallback: sent.append((name, args)),
    )
    return sent


def test_cancelling_stamps_the_event_and_asks_payments_to_settle_its_sales(
    published, published_tasks
):
    event_update(actor=published.organizer, event=published, status=Event.Status.CANCELLED)

    published.refresh_from_db()
    assert published.cancelled_at is not None and published.moved_at is None
    assert published_tasks == [("payments.tasks.event_cancellation_run", (published.pk,))]
    row = AuditLog.objects.get(action="event.cancelled")
    assert row.changes == {"cancelled_at": published.cancelled_at.isoformat()}


def test_moving_a_published_event_stamps_moved_at_and_asks_payments_to_tell_buyers(
    published, published_tasks
):
    old_start = published.starts_at

    event_update(
        actor=published.organizer,
        event=published,
        event_date=published.event_date + datetime.timedelta(days=2),
    )

    published.refresh_from_db()
    assert published.moved_at is not None and published.cancelled_at is None
    assert published_tasks == [("payments.tasks.event_moved_notify", (published.pk,))]
    row = AuditLog.objects.get(action="event.moved")
    assert row.changes["starts_at"] == {
        "from": old_start.isoformat(),
        "to": published.starts_at.isoformat(),
    }


def test_other_changes_and_draft_moves_ask_for_nothing(published, published_tasks):
    draft = EventFactory(status=Event.Status.DRAFT)
    event_update(actor=published.organizer, event=published, name="A new name")
    event_update(
        actor=draft.organizer, event=draft, event_date=draft.event_date + datetime.timedelta(1)
    )

    assert published_tasks == []
    assert not Event.objects.filter(moved_at__isnull=False).exists()
    assert not AuditLog.objects.filter(action__in=("event.moved", "event.cancelled")).exists()
