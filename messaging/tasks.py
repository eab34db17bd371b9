"""Sending the email outbox (STYLE.md, 8): tasks take primary keys, run after
commit, retry with backoff, and can run twice without sending twice."""

import base64
import datetime
import logging
import smtplib
import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

from .models import Email

logger = logging.getLogger(__name__)

EMAIL_MAX_RETRIES = 5
RETRY_BASE_SECONDS = 30
# The longest wait stays far below the broker's visibility timeout (an hour):
# a countdown longer than that would make Redis deliver the retry twice.
RETRY_MAX_SECONDS = 10 * 60
# An email the sweep finds READY this long after it was written lost its task.
READY_GRACE = datetime.timedelta(minutes=1)
SWEEP_BATCH = 500
# A claim this old belongs to a task that is gone for good (its message lost
# with the broker, or an error that is not retried): longer than the broker's
# redelivery time and every retry's wait together.
STALE_CLAIM = datetime.timedelta(hours=2)

# What a mail server or the network raise: worth another try later.
RETRYABLE_ERRORS = (smtplib.SMTPException, OSError, SoftTimeLimitExceeded)


def retry_countdown(retries: int) -> int:
    """Seconds before retry number `retries + 1`: 30, 60, 120... capped."""
    return min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)


def email_message(email: Email) -> EmailMultiAlternatives:
    """The message of an outbox row: its text, its HTML alternative (if any)
    and its attachments."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments or []:
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment["content_base64"]),
            attachment.get("mimetype") or "application/octet-stream",
        )
    return message


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=EMAIL_MAX_RETRIES,
    soft_time_limit=60,
    time_limit=90,
    ignore_result=True,
)
def email_send(self, email_id: int) -> str:
    """Send the outbox email `email_id` once; returns what happened.

    Safe to run twice: only the task that claims the row sends it.
    """
    task_id = self.request.id or f"direct-{uuid.uuid4()}"
    now = timezone.now()
    # The claim is ONE conditional UPDATE, so two tasks for the same email (a
    # duplicate enqueue, the sweep racing the original, two workers at once)
    # cannot both send: the database serialises the UPDATEs and only the first
    # sees status READY. A message redelivered after its worker died (acks_late:
    # it was never acknowledged) or a retry carries the SAME task id, so it
    # finds its own claim (SENDING, claimed_by = its id) and resumes. A different
    # task never takes over a SENDING row: that worker may still be sending.
    claimed = Email.objects.filter(
        Q(status=Email.Status.READY) | Q(status=Email.Status.SENDING, claimed_by=task_id),
        pk=email_id,
    ).update(status=Email.Status.SENDING, claimed_by=task_id, claimed_at=now, updated_at=now)
    if not claimed:
        return "not claimed"
    email = Email.objects.get(pk=email_id)
    mine = Email.objects.filter(pk=email_id, claimed_by=task_id)
    try:
        email_message(email).send()
    except RETRYABLE_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = email.attempts + 1
        now = timezone.now()
        if attempts > EMAIL_MAX_RETRIES:
            mine.update(
                status=Email.Status.FAILED, attempts=attempts, last_error=error, updated_at=now
            )
            logger.error("Email %s failed after %s attempts: %s", email_id, attempts, error)
            return "failed"
        if self.request.is_eager:
            # Eager mode (the embedded run) has no broker to hold a delayed
            # retry: the row goes back to READY for the periodic sweep.
            mine.update(
                status=Email.Status.READY,
                claimed_by="",
                attempts=attempts,
                last_error=error,
                updated_at=now,
            )
            return "released"
        mine.update(attempts=attempts, last_error=error, updated_at=now)
        # The retry keeps this task's id (Celery reuses it), so its claim still matches.
        raise self.retry(exc=exc, countdown=retry_countdown(attempts - 1)) from exc
    # A crash between the send and this UPDATE means a redelivery sends again:
    # email is at least once, the claim only prevents concurrent duplicates.
    sent_at = timezone.now()
    mine.update(
        status=Email.Status.SENT,
        sent_at=sent_at,
        attempts=F("attempts") + 1,
        last_error="",
        updated_at=sent_at,
    )
    return "sent"


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def emails_send_ready() -> int:
    """Periodic: enqueue the emails still READY a minute after they were written
    (their task was lost, e.g. the broker was down when the change committed),
    and those whose sending task vanished hours ago.

    Safe to run twice at once: a duplicate task finds nothing to claim.
    """
    now = timezone.now()
    Email.objects.filter(status=Email.Status.SENDING, claimed_at__lte=now - STALE_CLAIM).update(
        status=Email.Status.READY, claimed_by="", updated_at=now
    )
    cutoff = now - READY_GRACE
    email_ids = list(
        Email.objects.filter(status=Email.Status.READY, created_at__lte=cutoff)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for email_id in email_ids:
        email_send.delay(email_id)
    return len(email_ids)
