"""Redis down: the site stays up, a little less protected.

Redis holds Encore's cache, its rate-limit counters and (in production) the
Celery broker. With it unreachable, people still browse, log in on the site
and the API, and buy: pages read the database instead of the cache, rate
limits let requests through (fail open) rather than refuse everyone, sessions
live in the database, and no ticket is sold twice (that guard is PostgreSQL's,
never Redis's). No request is held up by Redis: each one answers within a
second of its time with Redis up, whether Redis refuses connections or hangs
(after one timeout, each process skips Redis for CACHE_REDIS_RETRY_SECONDS and
the broker for BROKER_RETRY_SECONDS). Operators see Redis "down" in /health and
one "Redis ... unreachable" line per pause in the logs; the site recovers on
its own once Redis is back.

Gunicorn processes serve the same database side by side: one with Redis, the
others with REDIS_URL and CELERY_BROKER_URL at a port that refuses
connections, or that accepts them and never answers (in production both are
the same Redis).
"""

import pytest
import requests

from marketplace.testing import run_in_threads

from .network import CLOSED, SILENT, FaultyPort
from .server import (
    PASSWORD,
    bearer,
    csrf_token,
    listing_on_sale,
    purchase,
    site_login,
    timed,
)

pytestmark = pytest.mark.django_db(transaction=True)

# How much longer a request may take with Redis down than with it up.
SLOWER_AT_MOST = 1.0
BUYERS = 6


@pytest.fixture(scope="module")
def up(serve, broker_url, queue_name):
    """Encore with its Redis (cache, rate limits and broker)."""
    return serve(
        "redis-up",
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=queue_name,
    )


@pytest.fixture(scope="module", params=[CLOSED, SILENT])
def down(request, serve):
    """Encore whose Redis refuses every connection (closed), or accepts them and
    never answers (silent: a stuck server, or a host gone from the network)."""
    port = FaultyPort(mode=request.param)
    yield serve(
        f"redis-{request.param}",
        REDIS_URL=port.redis_url(1),
        CELERY_BROKER_URL=port.redis_url(2),
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    port.close()


def _pages(listing) -> list[str]:
    event_id = listing.ticket.event_id
    return ["/", "/events/", f"/events/{event_id}/", f"/listings/{listing.pk}/"]


def test_pages_answer_from_the_database(down):
    listing = listing_on_sale()
    event = listing.ticket.event

    for path in _pages(listing):
        answer = down.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert event.name in answer.text, path


def test_site_login_works_and_the_session_survives(down):
    from accounts.tests.factories import UserFactory

    user = UserFactory(name="Róisín Fan")

    browser = site_login(down, user.email)

    # the next requests still know who is logged in (sessions live in the database)
    for _ in range(2):
        page = down.get("/my/purchases/", browser, allow_redirects=False)
        assert page.status_code == 200, page.status_code
        assert "Log out" in page.text
    # and logging out (the form in every page's header) works too
    logout = down.post(
        "/accounts/logout/",
        browser,
        data={"csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": down.url + "/my/purchases/"},
        allow_redirects=False,
    )
    assert logout.status_code == 302
    assert down.get("/my/purchases/", browser, allow_redirects=False).status_code == 302


def test_api_login_works_and_rate_limits_let_it_through(down):
    from accounts.tests.factories import UserFactory

    user = UserFactory()

    # more logins than RATELIMIT_AUTH allows (5 per 15 minutes): without Redis
    # nothing is counted, and the limit fails open rather than refusing everyone
    answers = [
        down.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        for _ in range(7)
    ]

    assert [a.status_code for a in answers] == [200] * 7, answers[-1].text
    access = answers[-1].json()["data"]["access"]
    profile = down.get("/api/v1/users/profile", headers={"Authorization": f"Bearer {access}"})
    assert (profile.status_code, profile.json()["data"]["email"]) == (200, user.email)


def test_parallel_buyers_one_sale(down):
    from accounts.tests.factories import UserFactory
    from listings.models import Listing
    from payments.models import Transaction
    from tickets.models import Ticket

    listing = listing_on_sale()
    buyers = UserFactory.create_batch(BUYERS)

    answers, _ = run_in_threads([lambda b=b: purchase(down, b, listing.pk) for b in buyers])

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (BUYERS - 1), statuses
    refused = [a.json()["error"]["code"] for a in answers if a.status_code == 409]
    assert set(refused) == {"TICKET_NOT_AVAILABLE"}
    winner = next(a.json()["data"] for a in answers if a.status_code == 201)
    assert winner["status"] == "paid"
    txn = Transaction.objects.get()
    assert Ticket.objects.get(pk=listing.ticket_id).owner_id == txn.buyer_id
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.SOLD


def test_health_names_redis_down_and_the_log_says_why(down):
    answer = down.get("/health")

    assert answer.status_code == 503
    body = answer.json()
    assert body["services"]["redis"] == "down"
    assert body["services"]["database"] == "up"
    # once per pause (CACHE_REDIS_RETRY_SECONDS), not once per call
    assert "unreachable" in down.log()
    assert "the cache and rate limits are skipped" in down.log()


def _best_of(runs: int, call) -> float:
    return min(timed(call)[1] for _ in range(runs))


def test_no_request_waits_on_redis(up, down):
    """Each kind of request, timed on both servers (best of three, after a
    first request that warms each server up): with Redis down none takes
    more than SLOWER_AT_MOST seconds longer."""
    from accounts.tests.factories import UserFactory

    listing = listing_on_sale()
    user = UserFactory()
    # A fresh buyer and listing for each purchase: 1 warm-up and 3 timed per server.
    sales = {
        server.name: [(UserFactory(), listing_on_sale()) for _ in range(4)] for server in (up, down)
    }
    seconds = {}

    def measure(name, call_on):
        for server in (up, down):
            call_on(server)  # warm-up
        seconds[name] = {
            server.name: _best_of(3, lambda s=server: call_on(s)) for server in (up, down)
        }

    for path in _pages(listing):
        measure(f"GET {path}", lambda server, path=path: _ok(server.get(path)))
    measure("site login", lambda server: site_login(server, user.email))
    measure(
        "API login",
        lambda server: _ok(
            server.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        ),
    )
    measure(
        "API profile",
        lambda server: _ok(server.get("/api/v1/users/profile", headers=bearer(user))),
    )

    def buy(server):
        buyer, on_sale = sales[server.name].pop()
        return _created(purchase(server, buyer, on_sale.pk))

    measure("purchase", buy)

    slow = {
        name: times
        for name, times in seconds.items()
        if times[down.name] > times[up.name] + SLOWER_AT_MOST
    }
    assert slow == {}, slow


def _ok(answer: requests.Response) -> requests.Response:
    assert answer.status_code == 200, (answer.url, answer.status_code)
    return answer


def _created(answer: requests.Response) -> requests.Response:
    assert answer.status_code == 201, answer.text
    return answer
