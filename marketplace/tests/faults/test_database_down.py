"""PostgreSQL down: Encore cannot serve, says so plainly, and comes back alone.

The database holds everything that matters (accounts, tickets, money), so
without it there is no degraded mode: pages that need it answer the site's
own "briefly unavailable" page (503 with Retry-After, no technical details),
the API its envelope (503 SERVICE_UNAVAILABLE), and /health and /health/ready answer 503 naming the
database, so a load balancer stops sending traffic; /health/live still
answers, so the process is not restarted for an outage it cannot fix. Pages
that need no database (the login form) still render. Once PostgreSQL is back,
the next request works, without a restart.

The database here is the test database behind a port the test closes, then
opens again.
"""

from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from marketplace.tests.workers import worker_database_url

from .network import CLOSED, FORWARD, FaultyPort
from .server import listing_on_sale

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database():
    """The port in front of PostgreSQL."""
    port = FaultyPort(target_port=int(settings.DATABASES["default"].get("PORT") or 5432))
    yield port
    port.close()


def test_pages_say_the_site_is_down_and_work_again_when_the_database_is_back(serve, database):
    parts = urlsplit(worker_database_url())
    netloc = f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{database.port}"
    server = serve("database-down", DATABASE_URL=urlunsplit(parts._replace(netloc=netloc)))
    listing = listing_on_sale()
    page_path = f"/listings/{listing.pk}/"

    # the database refusing connections
    database.set(CLOSED)
    page = server.get(page_path)
    assert (page.status_code, page.headers["Retry-After"]) == (503, "30")
    assert "Encore is briefly unavailable" in page.text
    assert "Traceback" not in page.text and "OperationalError" not in page.text
    api = server.get("/api/v1/events")
    assert (api.status_code, api.json()["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert api.headers["Retry-After"] == "30"
    assert "OperationalError" not in api.text
    health = server.get("/health")
    assert (health.status_code, health.json()["services"]["database"]) == (503, "down")
    assert server.get("/health/ready").status_code == 503
    assert server.get("/health/live").status_code == 200
    assert server.get("/accounts/login/").status_code == 200
    assert "Connection refused" in server.log()

    # the database back: the same process serves again
    database.set(FORWARD)
    page = server.get(page_path)
    assert page.status_code == 200
    assert listing.ticket.event.name in page.text
    assert server.get("/health/ready").status_code == 200
