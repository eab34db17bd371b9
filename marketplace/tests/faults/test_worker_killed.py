"""A Celery worker killed in the middle of a task: the work is done once.

A worker process can die at any moment (out of memory, a deploy, a crashed
machine). Tasks are acknowledged only after they run (acks_late) and given
back when their worker is lost, so the broker delivers an unfinished task
again once CELERY_VISIBILITY_TIMEOUT has passed, to whichever worker is alive.
For email, the claim on the outbox row makes the redelivered task resume the
dead one's work and send the email exactly once; users get their email a
little late, never twice. Operators see the worker's exit in their process
supervisor and the task received again in the new worker's log; nothing needs
doing by hand.
"""

import signal
import time

import pytest

from marketplace.testing import wait_for
from marketplace.tests.workers import celery_on_broker
from messaging.models import Email
from messaging.tasks import email_send
from messaging.tests.backends import ENTERED_MARKER, HANG_MARKER, sent_recipients


def email_status(email_id):
    return Email.objects.values_list("status", flat=True).get(pk=email_id)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_while_sending_is_redelivered_and_sends_once(worker_processes, broker_url):
    # given an email in the outbox, and a mail server that hangs
    email = Email.objects.create(to="fan@example.com", subject="Hello", body="Hi there\n")
    outbox = worker_processes.outbox
    (outbox / HANG_MARKER).write_text("hang")
    first = worker_processes("first")
    with celery_on_broker(broker_url):
        task = email_send.apply_async((email.pk,), queue=worker_processes.queue)

    # when the worker dies in the middle of sending it
    wait_for(lambda: (outbox / ENTERED_MARKER).exists(), what="the first worker to send")
    delivered_at = time.monotonic()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert email_status(email.pk) == Email.Status.SENDING
    assert sent_recipients(outbox) == []
    (outbox / HANG_MARKER).unlink()

    # then, once the broker's visibility timeout (2 s) has passed, a fresh
    # worker gets the same task again, resumes its claim and sends once.
    time.sleep(max(0.0, delivered_at + 2.5 - time.monotonic()))
    worker_processes("second")
    wait_for(lambda: email_status(email.pk) == Email.Status.SENT, what="the redelivered task")
    email.refresh_from_db()
    assert email.claimed_by == task.id
    assert email.attempts == 1
    assert sent_recipients(outbox) == ["fan@example.com"]
