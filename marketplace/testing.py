"""Helpers the tests share: plain functions and constants, imported by test
modules and conftest.py files alike (`from marketplace.testing import ...`).

Fixtures stay in the conftest.py files; nothing here is a fixture, and
nothing outside the tests imports this module (pyproject.toml,
[tool.importlinter]). The root conftest registers it for pytest's assertion
rewriting, so a failed check here explains itself.
"""

import datetime
import socket
import threading
import time

from django.db import connection
from django.utils import timezone

# The browser tests' window (the root conftest gives it to every Playwright context).
BROWSER_VIEWPORT = {"width": 1280, "height": 900}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float = 20.0, what: str = "the condition") -> None:
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


def run_in_threads(calls, *, timeout: float = 60.0):
    """Run each zero-argument callable in its own thread, all released at once by
    a barrier, each on its own database connection. Returns (results, seconds):
    per call, its return value or the exception it raised, in order.

    To order what the threads do once released (every read before any write),
    the calls wait on a threading.Barrier of their own: see the concurrency
    tests in payments/tests/test_concurrency.py."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 (the test inspects it)
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, time.perf_counter() - started


def in_days(days: int) -> datetime.date:
    """Today (in Encore's time zone) plus `days`: an event date."""
    return timezone.localdate() + datetime.timedelta(days=days)


def is_in_the_admin(client) -> bool:
    """Whether this test client reaches the admin's index."""
    return client.get("/admin/").status_code == 200


# --- The API's envelope ----------------------------------------------------------


def _meta_checked(body: dict) -> dict:
    stamp = body["meta"]["timestamp"]
    assert stamp.endswith("Z")
    datetime.datetime.fromisoformat(stamp)
    return body


def ok_body(response, status: int = 200) -> dict:
    """The whole success envelope {success, data, meta}, after checking it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"success", "data", "meta"}
    assert body["success"] is True
    return _meta_checked(body)


def ok_data(response, status: int = 200):
    """The `data` of a success envelope."""
    return ok_body(response, status)["data"]


def error_body(response, status: int, code: str) -> dict:
    """The whole error envelope {success, error{code, message, details}, meta}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"success", "error", "meta"}
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return _meta_checked(body)


def error_of(response, status: int, code: str) -> dict:
    """The `error` of an error envelope with `status` and `code`."""
    return error_body(response, status, code)["error"]
