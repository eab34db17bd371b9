"""Tasks published once the change that asks for them commits, and what
happens when the broker is out of reach. Kernel code: it names no app, and
uses the Celery app the task belongs to."""

import logging
import time

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# Broker URL -> until when publishing to it is skipped (in this process).
_skip_until: dict[str, float] = {}


def enqueue_on_commit(task, *args, fallback: str) -> None:
    """Publish `task(*args)` once the current database transaction commits.

    With the broker unreachable the committed change stands: publishing fails
    fast (CELERY_TASK_PUBLISH_RETRY_POLICY, the transport's socket timeouts),
    the failure is logged on one line with `fallback` (what picks the work up
    later: a periodic job), and for BROKER_RETRY_SECONDS this process skips
    publishing at once, so that a broker that hangs costs one request a wait,
    not every request. Any other error is logged by Django's robust on-commit
    handler, never raised to the caller.
    """

    def publish():
        conf = task.app.conf
        broker = conf.broker_url or ""
        if not conf.task_always_eager and time.monotonic() < _skip_until.get(broker, 0.0):
            logger.error(
                "Did not enqueue %s%r, the broker was unreachable a moment ago: %s",
                task.name,
                args,
                fallback,
            )
            return
        try:
            task.delay(*args)
        except OperationalError as exc:
            _skip_until[broker] = time.monotonic() + settings.BROKER_RETRY_SECONDS
            logger.error(
                "Could not enqueue %s%r, the broker is unreachable (%s): %s",
                task.name,
                args,
                exc,
                fallback,
            )

    transaction.on_commit(publish, robust=True)
