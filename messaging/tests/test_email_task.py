"""The email task in eager mode (as in the embedded run): claim, send, retry."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from marketplace.tests.workers import celery_on_broker
from messaging.models import Email, Notification
from messaging.services import notification_create
from messaging.tasks import EMAIL_MAX_RETRIES, email_send, emails_send_ready, retry_countdown
from messaging.tests.backends import FlakySMTPBackend
from messaging.tests.factories import EmailFactory

pytestmark = pytest.mark.django_db


def test_notification_email_is_sent_when_the_transaction_commits(
    django_capture_on_commit_callbacks, settings
):
    user = UserFactory(name="Bea")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notification = notification_create(
            user=user,
            type=Notification.Type.LISTING_EXPIRED,
            payload={"listing_id": 4, "event_name": "Lankum"},
        )
        assert mail.outbox == []

    # The email's task, and the bell's count made out of date again (versions).
    assert len(callbacks) == 2
    email = notification.emails.get()
    assert email.status == Email.Status.SENT
    assert (email.attempts, email.last_error) == (1, "")
    assert email.sent_at is not None
    assert email.claimed_by  # eager tasks have an id too
    [sent] = mail.outbox
    assert sent.to == [user.email]
    assert sent.from_email == settings.DEFAULT_FROM_EMAIL
    assert (sent.subject, sent.body) == (email.subject, email.body)
    assert sent.subject == "Your listing for Lankum has expired"


def test_rolled_back_notification_enqueues_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="caller failed"),
        transaction.atomic(),
    ):
        notification_create(user=user, type=Notification.Type.PAYMENT, payload={})
        raise RuntimeError("the caller failed")

    assert callbacks == []
    assert not Email.objects.exists()
    assert mail.outbox == []


def test_running_email_send_twice_sends_once():
    email = EmailFactory()

    first = email_send.apply((email.pk,))
    second = email_send.apply((email.pk,))

    assert (first.result, second.result) == ("sent", "not claimed")
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_by) == (Email.Status.SENT, 1, first.id)


def test_another_task_finds_a_sending_email_claimed_and_does_nothing():
    claimed_at = timezone.now()
    email = EmailFactory(status=Email.Status.SENDING, claimed_by="task-a", claimed_at=claimed_at)

    result = email_send.apply((email.pk,), task_id="task-b")

    assert result.result == "not claimed"
    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.status, email.claimed_by, email.claimed_at, email.attempts) == (
        Email.Status.SENDING,
        "task-a",
        claimed_at,
        0,
    )


def test_redelivered_task_resumes_its_own_claim_and_sends_once():
    # given a worker that claimed the email and died before sending
    email = EmailFactory(status=Email.Status.SENDING, claimed_by="task-a")

    # when the broker delivers the same task (same id) again, twice
    first = email_send.apply((email.pk,), task_id="task-a")
    again = email_send.apply((email.pk,), task_id="task-a")

    # then it is sent once
    assert (first.result, again.result) == ("sent", "not claimed")
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.claimed_by) == (Email.Status.SENT, "task-a")


@pytest.mark.parametrize("status", [Email.Status.SENT, Email.Status.FAILED])
def test_a_finished_email_is_never_sent_again(status):
    email = EmailFactory(status=status, claimed_by="task-a", sent_at=timezone.now())

    assert email_send.apply((email.pk,), task_id="task-a").result == "not claimed"
    assert email_send.apply((email.pk,)).result == "not claimed"
    assert mail.outbox == []


def test_smtp_errors_in_eager_mode_go_back_to_the_sweep_then_fail(settings):
    # Eager mode has no broker to hold a delayed retry (the worker's retries
    # are in test_worker.py): each failure hands the email back as READY.
    settings.EMAIL_BACKEND = "messaging.tests.backends.FailingSMTPBackend"
    email = EmailFactory()

    results = [email_send.apply((email.pk,)).result for _ in range(EMAIL_MAX_RETRIES + 2)]

    assert results == ["released"] * EMAIL_MAX_RETRIES + ["failed", "not claimed"]
    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Email.Status.FAILED, EMAIL_MAX_RETRIES + 1)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert email.sent_at is None


def test_an_email_released_after_an_smtp_error_is_sent_by_the_next_try(settings, monkeypatch):
    settings.EMAIL_BACKEND = "messaging.tests.backends.FlakySMTPBackend"
    monkeypatch.setattr(FlakySMTPBackend, "failures", 1)
    email = EmailFactory()

    assert email_send.apply((email.pk,)).result == "released"
    email.refresh_from_db()
    assert (email.status, email.claimed_by, email.attempts) == (Email.Status.READY, "", 1)
    assert email.last_error.startswith("SMTPDataError")

    assert email_send.apply((email.pk,)).result == "sent"
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Email.Status.SENT, 2, "")


def test_retries_back_off_exponentially_up_to_a_cap():
    assert [retry_countdown(n) for n in range(7)] == [30, 60, 120, 240, 480, 600, 600]


def test_sweep_sends_the_emails_left_ready(django_capture_on_commit_callbacks):
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    lost = EmailFactory.create_batch(2)
    fresh = EmailFactory()  # its own task may still be on its way
    sending = EmailFactory(status=Email.Status.SENDING, claimed_by="task-a")
    Email.objects.filter(pk__in=[e.pk for e in [*lost, sending]]).update(created_at=long_ago)

    assert emails_send_ready.apply().result == 2
    assert emails_send_ready.apply().result == 0

    statuses = dict(Email.objects.values_list("pk", "status"))
    assert statuses == {
        lost[0].pk: Email.Status.SENT,
        lost[1].pk: Email.Status.SENT,
        fresh.pk: Email.Status.READY,
        sending.pk: Email.Status.SENDING,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.to for e in lost)


def test_sweep_takes_back_an_email_whose_sending_task_vanished_hours_ago():
    abandoned = EmailFactory(status=Email.Status.SENDING, claimed_by="task-gone")
    recent = EmailFactory(status=Email.Status.SENDING, claimed_by="task-busy")
    hours_ago = timezone.now() - datetime.timedelta(hours=3)
    Email.objects.filter(pk=abandoned.pk).update(created_at=hours_ago, claimed_at=hours_ago)
    Email.objects.filter(pk=recent.pk).update(
        created_at=hours_ago, claimed_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    assert emails_send_ready.apply().result == 1

    assert Email.objects.get(pk=abandoned.pk).status == Email.Status.SENT
    assert Email.objects.get(pk=recent.pk).status == Email.Status.SENDING
    assert [m.to[0] for m in mail.outbox] == [abandoned.to]


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_commit_keeps_the_change_and_the_sweep_sends_later():
    user = UserFactory()

    # given a broker nobody listens on (connection refused; the clients'
    # own retries make this take a few seconds)
    with celery_on_broker("redis://127.0.0.1:1/0"), transaction.atomic():
        notification = notification_create(
            user=user, type=Notification.Type.DELIVERY, payload={"event_name": "Lankum"}
        )

    # then the caller's change committed, and the email waits in the outbox
    email = notification.emails.get()
    assert email.status == Email.Status.READY
    assert mail.outbox == []

    # when the periodic sweep runs a minute later (eager again, as configured)
    Email.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    assert emails_send_ready.apply().result == 1

    email.refresh_from_db()
    assert email.status == Email.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_notification_create_refuses_to_run_outside_a_transaction():
    user = UserFactory()

    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        notification_create(user=user, type=Notification.Type.PAYMENT, payload={})

    assert not Notification.objects.exists()
    assert not Email.objects.exists()


def run_together(*calls):
    """Run the calls at the same moment, each in a thread with its own database
    connection; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_tasks_at_once_send_the_email_once():
    email = EmailFactory()

    # the race exists: both tasks can see the email READY at the same moment,
    # so "check the status, then send" would send it twice
    def is_ready():
        return Email.objects.get(pk=email.pk).status == Email.Status.READY

    assert run_together(is_ready, is_ready) == [True, True]

    # the claim (one conditional UPDATE) lets only one of them send
    results = run_together(
        lambda: email_send.apply((email.pk,)).result,
        lambda: email_send.apply((email.pk,)).result,
    )

    assert sorted(results) == ["not claimed", "sent"]
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Email.Status.SENT, 1)
