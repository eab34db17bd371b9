"""A rush on one event page.

A fresh published concert ("Bench Rush Hour") opens with BENCH_RUSH_STOCK
tickets on sale (written in bulk, as the bench seeder writes them). For
BENCH_RUSH_SECONDS, all at once:

- BENCH_RUSH_FANS fans (2,000) reload its page: wrk, one connection per fan,
  each fan waiting about BENCH_RUSH_THINK_MS (between half and one and a half
  times it) after each answer before reloading;
- the 200 bench buyers race for its tickets: each reads the page, tries one of
  the PICK cheapest tickets shown with POST /api/v1/transactions/purchase
  (reserve + PaymentIntent, as the purchase measure does), pauses, and again,
  until the rush ends or they hold the most one fan may buy for one event;
- BENCH_RUSH_SELLERS sellers (20) list new tickets of the event with POST
  /api/v1/listings, at the cheapest price allowed, on a schedule spread over
  the rush;
- WATCHERS watchers read the page again and again.

Just before, the same fans reload the minimal view (/health/live) for
BASELINE_SECONDS on the same server: that run's figures stand beside the page's.

Checked in the database afterwards: how many purchases each listing has
(exactly one for every listing sold). Staleness: every page read (the
watcher's and the buyers') is kept with the listings it showed and when it
was answered; a change (a sale: the transaction's created_at; a new listing:
its created_at, both written in the change's own database transaction, just
before it commits) is stale until the first answer that shows it. Only
changes that belong on the event's first page (its LISTINGS_PER_EVENT_PAGE
cheapest, rebuilt from the rows) can be seen there; the others are counted
apart.

Measured, never asserted: the figures go to results["rush"].
"""

import bisect
import datetime
import http.client
import json
import os
import random
import re
import threading
import time
from collections import Counter
from decimal import Decimal
from urllib.parse import urlsplit

from bench import load

FANS = int(os.environ.get("BENCH_RUSH_FANS", "2000"))
SECONDS = float(os.environ.get("BENCH_RUSH_SECONDS", "30"))
THINK_MS = int(os.environ.get("BENCH_RUSH_THINK_MS", "5000"))
STOCK = int(os.environ.get("BENCH_RUSH_STOCK", "200"))
SELLERS = int(os.environ.get("BENCH_RUSH_SELLERS", "20"))
# Under the yearly trader threshold (TRADER_THRESHOLD_TICKETS_PER_YEAR, 25).
SELLER_TICKETS = int(os.environ.get("BENCH_RUSH_SELLER_TICKETS", "10"))
BASELINE_SECONDS = 10.0
STOCK_PER_OWNER = 10
PICK = 10
BUYER_PAUSE_S = (0.5, 1.5)
WATCHERS = 4
WATCH_PAUSE_S = 0.02
# A request unanswered this long counts as no answer (0): the step's tail stays short.
CLIENT_TIMEOUT_S = 20
EMAIL = "bench-rush-{kind}-{n}@encore.localhost"
RUSH_PAGE_KEY = "rush-page"
LISTINGS_PATH = "/api/v1/listings"
LISTING_LINK = re.compile(rb'href="/listings/(\d+)/"')


class Client:
    """One HTTP/1.1 client of the site (it reconnects when the server closes)."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=CLIENT_TIMEOUT_S
        )

    def send(self, method: str, path: str, *, token: str = "", body=None) -> tuple[int, bytes]:
        """(status, body) of one request; status 0 when nothing answered."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            self.connection.request(
                method, path, body=json.dumps(body) if body is not None else None, headers=headers
            )
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, b""


def _code(raw: bytes) -> str:
    try:
        return (json.loads(raw).get("error") or {}).get("code") or ""
    except (ValueError, AttributeError):
        return ""


def _spread(values_ms: list[float]) -> dict:
    if not values_ms:
        return {"p50": None, "p99": None, "max": None}
    return {
        "p50": round(load.percentile(values_ms, 0.50), 1),
        "p99": round(load.percentile(values_ms, 0.99), 1),
        "max": round(max(values_ms), 1),
    }


# --- seeding ------------------------------------------------------------------------------


def seed(*, stock: int, sellers: int, seller_tickets: int) -> dict:
    """The event, its `stock` listings on sale, and each seller's tickets in hand."""
    import math

    from accounts.models import User
    from listings.event_copies import event_copies
    from listings.models import Listing
    from marketplace.devtools import demo_data
    from marketplace.devtools.bench_seed import (
        bench_event,
        bench_ticket,
        bench_users,
        listing_price,
        sample_file,
    )
    from tickets.models import Ticket

    organizer = bench_users(EMAIL, "organizer", 1, role=User.Role.ORGANIZER)[0]
    owners = bench_users(EMAIL, "stock", max(1, math.ceil(stock / STOCK_PER_OWNER)))
    seller_users = bench_users(EMAIL, "seller", sellers)
    event = bench_event(
        name="Bench Rush Hour",
        description="A benchmark event: fans reload its page while buyers and sellers trade "
        "(bench/rush.py).",
        key=RUSH_PAGE_KEY,
        organizer=organizer,
    )
    file = sample_file()
    base = demo_data.BASE_FACE_VALUE[event.category]
    on_sale = [
        bench_ticket(
            event=event,
            n=n,
            base=base,
            owner=owners[n % len(owners)],
            barcode=f"BENCH-RUSH-STOCK-{n:07d}",
            file=file,
        )
        for n in range(stock)
    ]
    in_hand = []
    for k in range(sellers * seller_tickets):
        ticket = bench_ticket(
            event=event,
            n=stock + k,
            base=base,
            owner=seller_users[k % sellers],
            barcode=f"BENCH-RUSH-SELL-{k:07d}",
            file=file,
        )
        ticket.status = Ticket.Status.AVAILABLE  # in hand, listed during the rush
        in_hand.append(ticket)
    on_sale = Ticket.objects.bulk_create(on_sale, batch_size=1000)
    in_hand = Ticket.objects.bulk_create(in_hand, batch_size=1000)
    rng = random.Random(17)  # noqa: S311 (prices, not secrets)
    now = datetime.datetime.now(datetime.UTC)
    Listing.objects.bulk_create(
        [
            Listing(
                ticket=ticket,
                seller=ticket.owner,
                price=listing_price(ticket, event, mode=n % 4, rng=rng),
                status=Listing.Status.ACTIVE,
                listed_at=now,
                expires_at=event.starts_at,
                **event_copies(event),
            )
            for n, ticket in enumerate(on_sale)
        ],
        batch_size=1000,
    )
    return {"event": event, "in_hand": in_hand}


def _lowest_price(ticket, event) -> str:
    from listings.pricing import price_limits

    limits = price_limits(
        face_value=ticket.face_value, category=event.category, country=event.country
    )
    return str(limits.min_price)


# --- the rush -----------------------------------------------------------------------------


class Rush:
    """The buyers, the sellers and the watcher, until `deadline` (time.monotonic())."""

    def __init__(self, base: str, event, *, deadline: float, hold_limit: int):
        self.base = base
        self.page = f"/events/{event.pk}/"
        self.event = event
        self.deadline = deadline
        self.hold_limit = hold_limit
        # (sent, received, listing ids shown), wall-clock seconds like the rows' timestamps.
        self.reads: list[tuple[float, float, frozenset]] = []
        self.read_statuses: Counter = Counter()
        self.purchases: list[tuple[int, str, float]] = []
        self.listings: list[tuple[int, str, float]] = []

    def read_page(self, client: Client) -> list[int]:
        sent = time.time()
        status, body = client.send("GET", self.page)
        received = time.time()
        self.read_statuses[status] += 1
        if status != 200:
            return []
        ids = [int(pk) for pk in LISTING_LINK.findall(body)]
        self.reads.append((sent, received, frozenset(ids)))
        return ids

    def watcher(self) -> None:
        client = Client(self.base)
        while time.monotonic() < self.deadline:
            self.read_page(client)
            time.sleep(WATCH_PAUSE_S)

    def buyer(self, token: str, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (which ticket to try)
        client = Client(self.base)
        held = 0
        while time.monotonic() < self.deadline and held < self.hold_limit:
            shown = self.read_page(client)[:PICK]
            if shown and time.monotonic() < self.deadline:
                started = time.perf_counter()
                status, raw = client.send(
                    "POST", load.PURCHASE, token=token, body={"listing_id": rng.choice(shown)}
                )
                took = time.perf_counter() - started
                self.purchases.append((status, _code(raw) if status != 201 else "", took))
                held += status == 201
            time.sleep(rng.uniform(*BUYER_PAUSE_S))

    def seller(self, jobs: list[tuple[float, int, str, str]], started: float) -> None:
        """Each (due, ticket id, price, token) listed at its time after `started`."""
        client = Client(self.base)
        for due, ticket_id, price, token in jobs:
            wait = started + due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() >= self.deadline:
                return
            sent = time.perf_counter()
            status, raw = client.send(
                "POST", LISTINGS_PATH, token=token, body={"ticket_id": ticket_id, "price": price}
            )
            took = time.perf_counter() - sent
            self.listings.append((status, _code(raw) if status != 201 else "", took))


def _outcomes(results: list[tuple[int, str, float]], created: str) -> dict:
    statuses = Counter(status for status, _, _ in results)
    return {
        "attempts": len(results),
        created: statuses[201],
        "conflicts_409": statuses[409],
        "server_errors_5xx": sum(n for status, n in statuses.items() if status >= 500),
        "no_answer": statuses[0],
        "other": dict(
            Counter(
                f"{status} {code}".strip()
                for status, code, _ in results
                if status not in (0, 201, 409) and status < 500
            )
        ),
        "request_ms": _spread([took * 1000 for _, _, took in results]),
    }


# --- staleness ----------------------------------------------------------------------------


def first_page_changes(
    *,
    stock: dict[int, Decimal],
    added: list[tuple[float, int, Decimal]],
    sold: list[tuple[float, int]],
    page_size: int,
) -> list[dict]:
    """Each change in time order, and whether it shows on the page's first page:
    a new listing among the `page_size` cheapest (price, then id) once added; a
    sale of a listing that was among them just before. `stock`: the listings on
    sale (id: price) before the first change."""
    timeline = [(t, 0, pk, price) for t, pk, price in added] + [(t, 1, pk, None) for t, pk in sold]
    timeline.sort(key=lambda change: (change[0], change[1], change[2]))
    active = dict(stock)
    changes = []
    for at, kind, pk, price in timeline:
        if kind == 0:
            active[pk] = price
        first = sorted(active, key=lambda listing: (active[listing], listing))[:page_size]
        changes.append(
            {"at": at, "kind": "sale" if kind else "listing", "id": pk, "on_page": pk in first}
        )
        if kind == 1:
            active.pop(pk, None)
    return changes


def staleness(changes: list[dict], reads: list[tuple[float, float, frozenset]]) -> dict:
    """How long after each change the page went on without it.

    A read shows a new listing when its id is on the page, a sale when the id is
    gone. A read is placed at its answer: the server renders the page just before
    it answers (a request waits in the queue before, not after). For each change
    seen on the first page: `stale_ms`, from the change to the first answer that
    shows it (answers about a new listing only until it is sold), and
    `proven_ms`, from the change to the last answer before that one still
    without it (the page was certainly stale that long, less one page's render)."""
    reads = sorted(reads, key=lambda read: read[1])
    answered = [received for _, received, _ in reads]
    sold_at = {c["id"]: c["at"] for c in changes if c["kind"] == "sale"}
    stale, proven, never = [], [], 0
    for change in changes:
        if not change["on_page"]:
            continue
        at, pk = change["at"], change["id"]
        until = sold_at.get(pk, float("inf")) if change["kind"] == "listing" else float("inf")
        shown_at, last_stale = None, 0.0
        for _, received, ids in reads[bisect.bisect_right(answered, at) :]:
            if received >= until:
                break
            if (pk in ids) == (change["kind"] == "listing"):
                shown_at = received
                break
            last_stale = received - at
        if shown_at is None:
            never += 1
            continue
        stale.append((shown_at - at) * 1000)
        proven.append(last_stale * 1000)
    kinds = Counter(c["kind"] for c in changes)
    gaps = [(b - a) * 1000 for a, b in zip(answered, answered[1:], strict=False)]
    return {
        "changes": len(changes),
        "sales": kinds["sale"],
        "new_listings": kinds["listing"],
        "beyond_first_page": sum(1 for c in changes if not c["on_page"]),
        "measured": len(stale),
        "never_shown": never,
        "page_reads": len(reads),
        "gap_between_answers_ms": _spread(gaps),
        "stale_ms": _spread(stale),
        "proven_stale_ms": _spread(proven),
    }


# --- the step -----------------------------------------------------------------------------


def _sales_per_listing(event) -> dict:
    from payments.models import Transaction

    per_listing = Counter(
        Transaction.objects.filter(listing__ticket__event=event).values_list(
            "listing_id", flat=True
        )
    )
    return {
        "listings_sold": len(per_listing),
        "transactions": sum(per_listing.values()),
        "listings_with_one": sum(1 for n in per_listing.values() if n == 1),
        "listings_with_more": sum(1 for n in per_listing.values() if n > 1),
        "most_on_one_listing": max(per_listing.values(), default=0),
    }


def _changes(event, since: datetime.datetime) -> tuple[list, list]:
    from listings.models import Listing
    from payments.models import Transaction

    added = [
        (created.timestamp(), pk, price)
        for pk, created, price in Listing.objects.filter(
            ticket__event=event, created_at__gte=since
        ).values_list("pk", "created_at", "price")
    ]
    sold = [
        (created.timestamp(), pk)
        for pk, created in Transaction.objects.filter(listing__ticket__event=event).values_list(
            "listing_id", "created_at"
        )
    ]
    return added, sold


def _fans(url: str, fans: int, seconds: float, into: dict) -> None:
    into.update(load.wrk(url, connections=fans, seconds=seconds, think_ms=THINK_MS))


def measure(
    base: str,
    tokens: list[str],
    *,
    fans: int = FANS,
    seconds: float = SECONDS,
    stock: int = STOCK,
    sellers: int = SELLERS,
    seller_tickets: int = SELLER_TICKETS,
    baseline_seconds: float = BASELINE_SECONDS,
) -> dict:
    """Seed, measure the minimal view under the fans, then the rush; the figures
    for results["rush"]."""
    from django.conf import settings

    from events.event_page import LISTINGS_PER_EVENT_PAGE
    from listings.models import Listing

    step_started = time.perf_counter()
    seeded = seed(stock=stock, sellers=sellers, seller_tickets=seller_tickets)
    event = seeded["event"]
    minimal: dict = {}
    if fans:
        print(f"  {fans:,} fans on the minimal view for {baseline_seconds:.0f} s ...", flush=True)
        minimal = load.wrk(
            f"{base}/health/live", connections=fans, seconds=baseline_seconds, think_ms=THINK_MS
        )
    before = dict(
        Listing.objects.filter(ticket__event=event, status=Listing.Status.ACTIVE).values_list(
            "pk", "price"
        )
    )
    since = datetime.datetime.now(datetime.UTC)
    print(
        f"  the rush: {fans:,} fans, {len(tokens)} buyers, {sellers} sellers "
        f"for {seconds:.0f} s ...",
        flush=True,
    )
    started = time.monotonic()
    rush = Rush(base, event, deadline=started + seconds, hold_limit=settings.MAX_TICKETS_PER_EVENT)
    step = seconds / max(len(seeded["in_hand"]), 1)
    jobs: dict[int, list] = {}
    for n, ticket in enumerate(seeded["in_hand"]):
        jobs.setdefault(ticket.owner_id, []).append(
            (n * step, ticket.pk, _lowest_price(ticket, event), _token(ticket.owner))
        )
    page: dict = {}
    threads = [threading.Thread(target=rush.watcher) for _ in range(WATCHERS)]
    if fans:
        threads.append(threading.Thread(target=_fans, args=(base + rush.page, fans, seconds, page)))
    threads += [
        threading.Thread(target=rush.buyer, args=(token, n)) for n, token in enumerate(tokens)
    ]
    threads += [threading.Thread(target=rush.seller, args=(j, started)) for j in jobs.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rush_seconds = time.monotonic() - started
    added, sold = _changes(event, since)
    changes = first_page_changes(
        stock=before, added=added, sold=sold, page_size=LISTINGS_PER_EVENT_PAGE
    )
    purchases = _outcomes(rush.purchases, "sold_201")
    listings = _outcomes(rush.listings, "listed_201")
    read_5xx = sum(n for status, n in rush.read_statuses.items() if status >= 500)
    return {
        "event_id": event.pk,
        "fans": fans,
        "think_ms": THINK_MS,
        "seconds": round(rush_seconds, 1),
        "buyers": len(tokens),
        "sellers": sellers,
        "stock": stock,
        "seller_tickets": sellers * seller_tickets,
        "page": page,
        "minimal_view": minimal,
        "purchases": purchases,
        "new_listings": listings,
        "page_reads": {
            "reads": sum(rush.read_statuses.values()),
            "statuses": {str(k): v for k, v in sorted(rush.read_statuses.items())},
            "read_ms": _spread([(received - sent) * 1000 for sent, received, _ in rush.reads]),
        },
        "sales_per_listing": _sales_per_listing(event),
        "server_errors_5xx": purchases["server_errors_5xx"]
        + listings["server_errors_5xx"]
        + read_5xx,
        "staleness": staleness(changes, rush.reads),
        "step_seconds": round(time.perf_counter() - step_started, 1),
    }


def _token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))
