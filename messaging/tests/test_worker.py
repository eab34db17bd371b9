"""The email outbox with real Celery workers and a real Redis broker. A worker
killed while sending: marketplace/tests/faults/test_worker_killed.py."""

import pytest
from django.core import mail
from django.db import transaction

from accounts.tests.factories import UserFactory
from marketplace.testing import wait_for
from messaging import tasks
from messaging.models import Email, Notification
from messaging.services import notification_create
from messaging.tasks import EMAIL_MAX_RETRIES, email_send
from messaging.tests.backends import FlakySMTPBackend
from messaging.tests.factories import EmailFactory


def email_status(email_id):
    return Email.objects.values_list("status", flat=True).get(pk=email_id)


@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_email_of_a_committed_notification(in_thread_worker):
    user = UserFactory(name="Bea")

    # given a notification created in a service's transaction
    with transaction.atomic():
        notification = notification_create(
            user=user,
            type=Notification.Type.PAYOUT,
            payload={"transaction_id": 7, "payout_id": 3, "amount": "50.60", "currency": "EUR"},
        )
        email = notification.emails.get()
        # nothing is enqueued before the commit
        assert email.status == Email.Status.READY

    # then the worker, reached through Redis, sends it once
    wait_for(lambda: email_status(email.pk) == Email.Status.SENT, what="the email to be sent")
    email.refresh_from_db()
    assert (email.attempts, email.sent_at is not None) == (1, True)
    assert email.claimed_by  # a real task id
    assert [m.to for m in mail.outbox] == [[user.email]]


@pytest.mark.django_db(transaction=True)
def test_worker_retries_smtp_errors_under_the_same_task_id_then_fails(
    in_thread_worker, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "messaging.tests.backends.FailingSMTPBackend"
    # The retries go through Redis at once instead of after 30 s, 60 s...
    monkeypatch.setattr(tasks, "RETRY_BASE_SECONDS", 0)
    email = EmailFactory()

    task = email_send.delay(email.pk)

    wait_for(lambda: email_status(email.pk) == Email.Status.FAILED, what="the last retry")
    email.refresh_from_db()
    # every retry resumed the claim of the first delivery, and tried again
    assert (email.attempts, email.claimed_by) == (EMAIL_MAX_RETRIES + 1, task.id)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_worker_sends_after_a_passing_smtp_error(in_thread_worker, settings, monkeypatch):
    settings.EMAIL_BACKEND = "messaging.tests.backends.FlakySMTPBackend"
    monkeypatch.setattr(FlakySMTPBackend, "failures", 2)
    monkeypatch.setattr(tasks, "RETRY_BASE_SECONDS", 0)
    email = EmailFactory()

    email_send.delay(email.pk)

    wait_for(lambda: email_status(email.pk) == Email.Status.SENT, what="the retried email")
    email.refresh_from_db()
    assert (email.attempts, email.last_error) == (3, "")
    assert len(mail.outbox) == 1
