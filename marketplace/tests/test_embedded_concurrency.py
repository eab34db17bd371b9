"""The embedded run (`make run`: SQLite, runserver's threads) under a rush.

24 buyers ask for the same ticket at the same instant, through the API and
through the site's Buy button: one of them gets it, every other one is told
the ticket is taken, and nobody is answered "briefly unavailable" (503,
SQLite's "database is locked"). The site runs as `make run` serves it:
`manage.py runlocal` with the embedded settings (no PostgreSQL, no Redis,
Celery eager, its own localstripe), on a fresh SQLite file of the test's own.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from marketplace.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
BUYERS = 24
# One listing for the API's rush and one for the site's.
LISTINGS = 2
TAKEN_ON_THE_PAGE = "Someone else is buying or bought this ticket."
# Any 32 letters: the CSRF cookie and the form's token, as a browser sends them.
CSRF = "x" * 32

# Run by `manage.py shell` on the fresh database: the schema, the demo data with
# one rush event of LISTINGS tickets and BUYERS buyer accounts, then what the
# buyers present (an API access token, a logged-in site session each).
PREPARE = f"""
import json
from django.core.management import call_command
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
from listings.models import Listing

call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", rush_listings={LISTINGS}, buyers={BUYERS}, verbosity=0)
buyers = list(User.objects.filter(email__startswith="bench-buyer-").order_by("pk"))
sessions = []
for buyer in buyers:
    client = Client()
    client.force_login(buyer)
    sessions.append(client.cookies["sessionid"].value)
listings = Listing.objects.filter(
    ticket__event__metadata__bench_key="rush", status=Listing.Status.ACTIVE
).order_by("pk")
print(json.dumps({{
    "tokens": [str(AccessToken.for_user(buyer)) for buyer in buyers],
    "sessions": sessions,
    "listings": [[listing.pk, listing.ticket.event_id] for listing in listings],
}}))
"""

# What the database holds afterwards for a listing: its status and its sales.
SALES = """
import json
from listings.models import Listing
from payments.models import Transaction

listing = Listing.objects.get(pk={listing_id})
print(json.dumps({{
    "status": listing.status,
    "buyers": list(Transaction.objects.filter(listing=listing).values_list("buyer_id", flat=True)),
}}))
"""


def embedded_env(tmp: Path, stripe_port: int) -> dict:
    """The embedded run's environment: nothing of the test suite's PostgreSQL,
    Redis or broker; a SQLite file, private files and media of its own."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
        # The embedded default is var/encore.sqlite3; the same settings, another file.
        "DATABASE_URL": f"sqlite:///{tmp / 'encore.sqlite3'}",
        "PRIVATE_STORAGE_ROOT": str(tmp / "private"),
        "MEDIA_ROOT": str(tmp / "media"),
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "PYTHONUNBUFFERED": "1",
    }


def manage_shell(env: dict, code: str) -> dict:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def site_is_up(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False


class Site:
    def __init__(self, port: int, env: dict, data: dict, log: Path):
        self.port, self.env, self.data, self.log = port, env, data, log

    def log_tail(self) -> str:
        return self.log.read_text()[-4000:]

    def sales(self, listing_id: int) -> dict:
        return manage_shell(self.env, SALES.format(listing_id=listing_id))

    def race(self, requests: list[tuple[str, str, dict]]) -> list[http.client.HTTPResponse]:
        """Send every (method, path, headers+body) at the same instant, each on a
        connection of its own opened beforehand; the answers, in order."""
        connections = [
            http.client.HTTPConnection("127.0.0.1", self.port, timeout=60) for _ in requests
        ]
        for connection in connections:
            connection.connect()
        barrier = threading.Barrier(len(requests))
        answers: list = [None] * len(requests)

        def send(index: int) -> None:
            method, path, options = requests[index]
            barrier.wait(timeout=30)
            try:
                connections[index].request(method, path, **options)
                response = connections[index].getresponse()
                response.body = response.read()
                answers[index] = response
            except (OSError, http.client.HTTPException) as exc:
                answers[index] = exc

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        for connection in connections:
            connection.close()
        return answers


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`manage.py runlocal` on free ports, as `make run` serves it, with the
    rush's listings, buyers, tokens and sessions ready."""
    tmp = tmp_path_factory.mktemp("embedded")
    site_port, stripe_port = free_port(), free_port()
    env = embedded_env(tmp, stripe_port)
    data = manage_shell(env, PREPARE)
    assert len(data["tokens"]) == BUYERS and len(data["listings"]) == LISTINGS
    log = tmp / "runlocal.log"
    with open(log, "w") as out:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runlocal", f"127.0.0.1:{site_port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not site_is_up(site_port):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield Site(site_port, env, data, log)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        # What runlocal kept of its localstripe for a later run on that port.
        (ROOT / "var" / f"local-stripe-{stripe_port}.pickle").unlink(missing_ok=True)


def test_24_buyers_racing_on_the_api_get_one_sale_and_23_refusals_never_a_503(site):
    listing_id, _ = site.data["listings"][0]
    body = json.dumps({"listing_id": listing_id})
    requests = [
        (
            "POST",
            "/api/v1/transactions/purchase",
            {
                "body": body,
                "headers": {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
            },
        )
        for token in site.data["tokens"]
    ]

    answers = site.race(requests)

    assert all(isinstance(a, http.client.HTTPResponse) for a in answers), answers
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: 1, 409: BUYERS - 1}, (statuses, site.log_tail())
    refused = Counter(json.loads(a.body)["error"]["code"] for a in answers if a.status == 409)
    assert refused == {"TICKET_NOT_AVAILABLE": BUYERS - 1}
    # One ticket, one sale: the winner's reservation, and no other.
    winner = json.loads(next(a for a in answers if a.status == 201).body)["data"]
    assert winner["status"] == "pending_payment"
    sales = site.sales(listing_id)
    assert sales["status"] == "pending"
    assert len(sales["buyers"]) == 1


def test_24_buyers_racing_on_the_buy_button_get_one_checkout_and_23_taken_messages(site):
    listing_id, event_id = site.data["listings"][1]
    requests = [
        (
            "POST",
            f"/listings/{listing_id}/buy/",
            {
                "body": f"csrfmiddlewaretoken={CSRF}",
                "headers": {
                    "Cookie": f"sessionid={session}; csrftoken={CSRF}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            },
        )
        for session in site.data["sessions"]
    ]

    answers = site.race(requests)

    assert all(isinstance(a, http.client.HTTPResponse) for a in answers), answers
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {302: BUYERS}, (statuses, site.log_tail())
    places = [answer.getheader("Location") for answer in answers]
    to_checkout = [place for place in places if place.startswith("/checkout/")]
    assert len(to_checkout) == 1, places
    assert sorted(places) == sorted(to_checkout + [f"/events/{event_id}/"] * (BUYERS - 1))
    # A refused buyer's next page says why: the flash message its answer set.
    loser = places.index(f"/events/{event_id}/")
    cookies = [
        header.split(";", 1)[0]
        for name, header in answers[loser].getheaders()
        if name == "Set-Cookie"
    ]
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    session = site.data["sessions"][loser]
    connection.request(
        "GET", places[loser], headers={"Cookie": "; ".join([f"sessionid={session}", *cookies])}
    )
    page = connection.getresponse()
    assert page.status == 200
    assert TAKEN_ON_THE_PAGE in page.read().decode()
    sales = site.sales(listing_id)
    assert sales["status"] == "pending"
    assert len(sales["buyers"]) == 1
