"""Fixtures shared by every app's tests."""

import shutil

import pytest
from django.conf import settings


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
