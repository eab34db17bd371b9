"""Fixtures shared by every app's tests, and the system lane's marker.

The helpers the tests share (free_port, wait_for, run_in_threads, ...) are
plain functions in marketplace/testing.py: import them from there, never
from a conftest.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# Its assertions explain themselves like a test's (imported below, after this).
pytest.register_assert_rewrite("marketplace.testing")

from marketplace.testing import BROWSER_VIEWPORT, free_port  # noqa: E402

# Real Celery workers (in a thread or in processes) for the tests about tasks.
pytest_plugins = ["marketplace.tests.workers"]

ROOT = Path(__file__).resolve().parent

# --- The system lane ---------------------------------------------------------------
#
# `make test` runs every test; `make test-fast` runs `-m "not system"`. A test
# is "system" when it starts a browser, a server or worker process, or another
# program. The lane is drawn here, in one place: whole folders and modules by
# path (a conftest's `pytestmark` would not reach a folder's modules), and any
# test, wherever it is, that uses a fixture starting such a process (so a new
# test asking for one joins the lane by itself). A test that starts a process
# in an otherwise quick module carries `@pytest.mark.system` where it is written.
SYSTEM_PATHS = tuple(
    ROOT / path
    for path in (
        "marketplace/tests/browser",  # Playwright driving Chromium
        "marketplace/tests/faults",  # gunicorn and Celery processes with services broken
        "marketplace/tests/test_deployment.py",  # gunicorn, celery, the Docker files
        "marketplace/tests/test_runlocal.py",  # manage.py runlocal and its localstripe
        "marketplace/tests/test_embedded_concurrency.py",  # runlocal under a rush of buyers
        "marketplace/tests/test_api_schemathesis.py",  # the API against its schema
        "marketplace/tests/test_settings.py",  # manage.py check in a fresh interpreter
        "marketplace/tests/test_layers.py",  # lint-imports on a copy of the tree
        "marketplace/devtools/stripe_emulator/tests/test_standin_js.py",  # Playwright
        "marketplace/devtools/stripe_emulator/tests/test_store.py",  # localstripe processes
    )
)
SYSTEM_FIXTURES = {
    "playwright",  # every Playwright test: page, browser, context, site...
    "worker_processes",  # `celery worker` processes (marketplace/tests/workers.py)
}


def pytest_ignore_collect(collection_path, config):
    """`make test-fast` (-m "not system") does not even import the system
    lane's folders and modules (seconds of each worker's start: Playwright,
    schemathesis's schema); any other selection collects them."""
    if " ".join((config.option.markexpr or "").split()) == "not system":
        return collection_path in SYSTEM_PATHS or None
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: marked before pytest's own hook deselects by `-m`.
    for item in items:
        in_path = any(item.path.is_relative_to(path) for path in SYSTEM_PATHS)
        if in_path or SYSTEM_FIXTURES.intersection(item.fixturenames):
            item.add_marker(pytest.mark.system)


# --- Browsers ------------------------------------------------------------------------

# Every Playwright test (pytest-playwright) drives Debian's Chromium: nothing
# is downloaded, and a missing Chromium fails the test rather than skips it.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's, and Django told to expect it: Playwright's sync API
    leaves an asyncio event loop running in the main thread until the end of
    the run, so Django takes every later ORM call there (this and every later
    test's factories, fixtures and assertions) for one made from async code
    and refuses it (SynchronousOnlyOperation). Set here, whatever tests are
    selected, as soon as Playwright starts."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return playwright


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
    """Each test starts with an empty cache (the suite's Redis database), and
    with Redis tried afresh: a stall that tripped this process's breaker
    (marketplace/cache.py) in one test does not turn the next test's cache
    reads into misses."""
    from django.core.cache import cache

    from marketplace.cache import breaker

    breaker.reset()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A request leaves its language
    active in the thread (marketplace/i18n.py activates it, as Django's
    LocaleMiddleware does), so a test that read a Spanish page would
    otherwise have the next test's reverse() write /es/ addresses."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _private_files_dir():
    """Ticket files written by the tests go to a folder removed after the run."""
    yield
    shutil.rmtree(settings.PRIVATE_STORAGE_ROOT, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def localstripe():
    """A real localstripe on a free port for the whole run; every Stripe call goes there."""
    from marketplace.devtools.localstripe import localstripe_start

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
