"""The request id: one token per request, carried by every log line, audit row
and Sentry event of the request, and by the Celery tasks it enqueues.

A web request takes the id its proxy sent (REQUEST_ID_HEADER, when it is a
short safe token) or gets a fresh one (marketplace.access). A task gets the id
of whatever enqueued it, sent in the message's headers; a task nobody's
request enqueued (celery beat's jobs) gets one of its own. Kernel code: no app
is imported here.
"""

import contextlib
import logging
import re
import uuid
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("request_id", default=None)

# What we accept from outside: letters, digits, ".", "_" and "-", 8 to 64 of
# them. Nothing that could forge a log line, split a header or bloat a row.
SAFE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
# The header of a Celery message that carries the id to the worker.
TASK_HEADER = "encore_request_id"


def request_id_get() -> str | None:
    """The id of the request (or task) this code runs for; None outside one."""
    return _current.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(value: str | None) -> str:
    """`value` when it is a safe token, else a fresh id."""
    if value and SAFE_TOKEN.fullmatch(value):
        return value
    return request_id_new()


@contextlib.contextmanager
def request_id_bound(value: str):
    """Run the block as part of the request (or task) `value`."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every log record the current request id (None outside a request),
    for the formatters' `request_id` field."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # Django logs a 4xx or 5xx ("Internal Server Error: /...", with the
            # traceback) once the middleware is done, with the request attached.
            attached = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = _current.get() or attached
        return True


# --- Celery: the id travels with the task (connected in marketplace.celery) ----

# Task id -> the token that restores the id the worker had before the task.
_task_tokens: dict[str, object] = {}


def task_publish_add_request_id(headers=None, **kwargs) -> None:
    """before_task_publish: the message carries the id of the request (or task)
    that enqueues it."""
    current = _current.get()
    if current and headers is not None:
        headers.setdefault(TASK_HEADER, current)


def task_prerun_bind_request_id(task_id=None, task=None, **kwargs) -> None:
    """task_prerun: the task runs under the id its message carries. An eager
    task (the embedded run) runs inside the request and keeps its id."""
    if task is None or task.request.is_eager:
        return
    value = request_id_accept(task.request.get(TASK_HEADER))
    _task_tokens[task_id] = _current.set(value)
    sentry_tag_request_id(value)


def task_postrun_unbind_request_id(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is None:
        return
    try:
        _current.reset(token)
    except ValueError:  # set in another context (a pool that switched threads)
        _current.set(None)


def sentry_tag_request_id(value: str) -> None:
    """Sentry's events of this request or task name it (a no-op without SENTRY_DSN)."""
    import sentry_sdk

    sentry_sdk.set_tag("request_id", value)
