"""Idempotency keys of the API (STYLE.md, 7): a request that spends money may
carry an `Idempotency-Key`; its first answer is kept IDEMPOTENCY_KEY_HOURS and
given again to every retry with the same key, so a lost answer or a double
tap never reserves or charges twice.

The unique (user, key) row is the guard: of several requests racing with one
key, one inserts it and does the work; the others wait for its answer
(IDEMPOTENCY_WAIT_SECONDS), then answer 409 IDEMPOTENCY_KEY_IN_USE.
"""

import datetime
import hashlib
import json
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .errors import IdempotencyKeyInUse, IdempotencyKeyReused, ValidationFailed
from .models import IdempotencyKey

# Printable ASCII without spaces, as HTTP header tokens and Stripe's keys are.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
# A running request older than this died without answering (a killed
# worker): a retry with its key runs again.
ABANDONED_AFTER = datetime.timedelta(minutes=2)
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def request_fingerprint(*, method: str, path: str, body) -> str:
    """SHA-256 of what the request asks: the same key must come with the same."""
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_checked(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationFailed(
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters.",
            details={"field": "Idempotency-Key", "reason": "INVALID_IDEMPOTENCY_KEY"},
        )
    return key


def _replay(row: IdempotencyKey, fingerprint: str) -> Answer | None:
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if row.state == IdempotencyKey.State.DONE:
        return Answer(status=row.response_status, body=row.response_body)
    return None


def idempotency_claim(*, user, key: str, fingerprint: str) -> Answer | None:
    """Claim `key` for this request: None when the caller is to do the work
    (then idempotency_finish or idempotency_forget), or the first request's
    answer to give again.

    Raises IdempotencyKeyReused (the key came with another request) or
    IdempotencyKeyInUse (the first request is still running).
    """
    key = idempotency_key_checked(key)
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
        return None
    except IntegrityError:
        pass
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is None:  # forgotten meanwhile (its request failed): claim it again
            return idempotency_claim(user=user, key=key, fingerprint=fingerprint)
        answer = _replay(row, fingerprint)
        if answer is not None:
            return answer
        if _take_over_abandoned(row):
            return None
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInUse()
        time.sleep(POLL_SECONDS)


def _take_over_abandoned(row: IdempotencyKey) -> bool:
    now = timezone.now()
    return (
        IdempotencyKey.objects.filter(
            pk=row.pk, state=IdempotencyKey.State.RUNNING, created_at__lt=now - ABANDONED_AFTER
        ).update(created_at=now)
        == 1
    )


def idempotency_finish(*, user, key: str, answer: Answer) -> None:
    """Keep the answer of the request that claimed `key`, for its retries."""
    IdempotencyKey.objects.filter(user=user, key=key).update(
        state=IdempotencyKey.State.DONE, response_status=answer.status, response_body=answer.body
    )


def idempotency_forget(*, user, key: str) -> None:
    """The claiming request failed in a way worth retrying (5xx): a retry with
    the same key runs again."""
    IdempotencyKey.objects.filter(user=user, key=key, state=IdempotencyKey.State.RUNNING).delete()


def idempotency_keys_purge() -> int:
    """Forget the answers older than IDEMPOTENCY_KEY_HOURS; returns how many."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
