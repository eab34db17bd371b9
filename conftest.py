"""Fixtures shared by every app's tests."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# Real Celery workers (in a thread or in processes) for the tests about tasks.
pytest_plugins = ["marketplace.tests.workers"]


# Every Playwright test (pytest-playwright) drives Debian's Chromium: nothing
# is downloaded, and a missing Chromium fails the test rather than skips it.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BROWSER_VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's package chromium.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": BROWSER_VIEWPORT, "locale": "en-IE"}


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (the suite's Redis database)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _private_files_dir():
    """Ticket files written by the tests go to a folder removed after the run."""
    yield
    shutil.rmtree(settings.PRIVATE_STORAGE_ROOT, ignore_errors=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def localstripe():
    """A real localstripe on a free port for the whole run; every Stripe call goes there."""
    from marketplace.localstripe import localstripe_start

    port = free_port()
    process = localstripe_start(port=port, from_scratch=True)
    previous = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    yield settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = previous
    process.terminate()
    process.wait(timeout=10)


def _domain_models():
    from django.apps import apps

    labels = ("accounts", "events", "tickets", "listings", "payments", "messaging", "marketplace")
    return [m for label in labels for m in apps.get_app_config(label).get_models()]


@pytest.fixture
def db_snapshot():
    """A function returning every row of every domain table: equal snapshots
    before and after a refused call prove it changed nothing."""

    def snapshot():
        return {
            model._meta.db_table: sorted(model.objects.order_by().values_list(), key=repr)
            for model in _domain_models()
        }

    return snapshot


def run_in_threads(calls, *, timeout: float = 60.0):
    """Run each zero-argument callable in its own thread, all released at once by
    a barrier, each on its own database connection. Returns (results, seconds):
    per call, its return value or the exception it raised, in order."""
    import threading
    import time

    from django.db import connection

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


def wait_for(condition, *, timeout: float = 20.0, what: str = "the condition") -> None:
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


@pytest.fixture
def api():
    """An API client with no credentials."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def api_as():
    """api_as(user) -> an API client sending that user's access token."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    def client_for(user):
        client = APIClient()
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return client_for
