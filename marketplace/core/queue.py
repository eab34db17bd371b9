"""Tasks published once the change that asks for them commits, and what
happens when the broker is out of reach. Kernel code: it names no app, and
uses the Celery app the task belongs to."""

import logging
import time

from celery import current_app
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
    transaction.on_commit(
        lambda: _publish(task.app, task.name, lambda: task.delay(*args), args, fallback),
        robust=True,
    )


def enqueue_named_on_commit(name: str, *args, fallback: str) -> None:
    """enqueue_on_commit for a task known by its name only: an app publishes a
    job of an app it must not import (events asks payments to settle a
    cancelled event). The task runs in-process in eager mode, as `delay` does."""

    def send():
        app = current_app._get_current_object()
        if not app.conf.task_always_eager:
            app.send_task(name, args=args)
            return
        # Eager (the embedded run, the tests): run it here, as `delay` does;
        # its module may not be imported yet in a web process.
        if name not in app.tasks:
            app.loader.import_default_modules()
        app.tasks[name].delay(*args)

    transaction.on_commit(lambda: _publish(current_app, name, send, args, fallback), robust=True)


def _publish(app, name: str, send, args: tuple, fallback: str) -> None:
    conf = app.conf
    broker = conf.broker_url or ""
    if not conf.task_always_eager and time.monotonic() < _skip_until.get(broker, 0.0):
        logger.error(
            "Did not enqueue %s%r, the broker was unreachable a moment ago: %s",
            name,
            args,
            fallback,
        )
        return
    try:
        send()
    except OperationalError as exc:
        _skip_until[broker] = time.monotonic() + settings.BROKER_RETRY_SECONDS
        logger.error(
            "Could not enqueue %s%r, the broker is unreachable (%s): %s",
            name,
            args,
            exc,
            fallback,
        )
