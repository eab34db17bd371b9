"""The Celery app: broker and options come from Django settings (CELERY_*)."""

import logging
import os
import time

from celery import Celery, signals
from django.conf import settings
from kombu.exceptions import OperationalError

from .request_id import (
    task_postrun_unbind_request_id,
    task_prerun_bind_request_id,
    task_publish_add_request_id,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.base")

logger = logging.getLogger(__name__)

app = Celery("encore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task runs under the request id of whatever enqueued it (marketplace.request_id).
signals.before_task_publish.connect(task_publish_add_request_id, weak=False)
signals.task_prerun.connect(task_prerun_bind_request_id, weak=False)
signals.task_postrun.connect(task_postrun_unbind_request_id, weak=False)


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
    from django.db import transaction

    def publish():
        broker = app.conf.broker_url or ""
        if not app.conf.task_always_eager and time.monotonic() < _skip_until.get(broker, 0.0):
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
