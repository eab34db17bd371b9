"""Encore served by a real gunicorn process, and the people who use it over
HTTP: the fault suite's helpers (its fixtures are in conftest.py)."""

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests
from django.conf import settings

from marketplace.testing import free_port
from marketplace.tests.workers import BASE_DIR, worker_database_url

PASSWORD = "correct-horse-battery"  # accounts.tests.factories.UserFactory's
STARTUP_SECONDS = 30
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Server:
    """A gunicorn process serving Encore at `url`."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict = field(repr=False)

    def get(self, path: str, session=None, **kwargs) -> requests.Response:
        return (session or requests).get(self.url + path, timeout=60, **kwargs)

    def post(self, path: str, session=None, **kwargs) -> requests.Response:
        return (session or requests).post(self.url + path, timeout=60, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def server_environment(**overrides) -> dict:
    """The environment of a server process on this run's test database, its
    Redis, its localstripe and eager tasks; `overrides` break what a test needs."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "CELERY_BROKER_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "CELERY_SKIP_CHECKS": "1",
    }
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def start_server(name: str, log_dir: Path, **overrides) -> Server:
    """Start gunicorn, the production server, on a free port and wait until it
    serves a page."""
    port = free_port()
    env = server_environment(**overrides)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (gunicorn writes to it until stopped)
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "marketplace.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            # One process with threads: parallel buyers are served at once.
            "--workers",
            "1",
            "--threads",
            "8",
            "--max-requests",
            "0",
            "--graceful-timeout",
            "2",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path, env)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ({name}) exited:\n{server.log()[-3000:]}")
        try:
            requests.get(server.url + "/favicon.ico", timeout=2, allow_redirects=False)
        except requests.RequestException:
            time.sleep(0.1)
        else:
            return server
    server.stop()
    raise RuntimeError(f"gunicorn ({name}) did not serve within {STARTUP_SECONDS} s.")


# --- the people ------------------------------------------------------------------


def listing_on_sale(*, price: str = "55.00", seller=None, event=None):
    """A listed ticket for an upcoming concert (face value 50.00)."""
    from accounts.tests.factories import UserFactory
    from events.tests.factories import EventFactory
    from listings.tests.factories import ListingFactory
    from tickets.tests.factories import TicketFactory

    seller = seller or UserFactory()
    event = event or EventFactory(category="concert")
    ticket = TicketFactory(event=event, owner=seller, face_value=Decimal("50.00"), status="listed")
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal(price))


def bearer(user) -> dict:
    """The Authorization header of an API access token for `user` (signed with
    the key the server uses: the same settings)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "The page has no CSRF token."
    return match.group(1)


def site_login(server: Server, email: str, password: str = PASSWORD) -> requests.Session:
    """Log in on the site's form (allauth) like a browser: the CSRF token from
    the page, the session cookie kept. Returns the logged-in session."""
    session = requests.Session()
    page = server.get("/accounts/login/", session)
    assert page.status_code == 200, page.status_code
    answer = server.post(
        "/accounts/login/",
        session,
        data={"login": email, "password": password, "csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": server.url + "/accounts/login/"},
        allow_redirects=False,
    )
    assert answer.status_code == 302, (answer.status_code, answer.text[:500])
    return session


def purchase(server: Server, user, listing_id: int, **body) -> requests.Response:
    """POST /api/v1/transactions/purchase as `user`, charging Stripe's test card."""
    return server.post(
        "/api/v1/transactions/purchase",
        headers=bearer(user),
        json={"listing_id": listing_id, "payment_method_id": "pm_card_visa", **body},
    )


def timed(call):
    """(result, seconds) of calling `call()`."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started
