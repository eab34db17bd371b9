"""`make bench`: Encore under a ticket rush, measured on loopback.

1. A fresh PostgreSQL database (encore_bench) filled by `seed_demo --scale`
   (BENCH_EVENTS events with BENCH_TICKETS_PER_EVENT listed tickets each, one
   rush event with 1,000 listings, 200 buyers).
2. The site under gunicorn with the production settings and a Redis cache,
   localstripe as Stripe.
3. wrk on each page and a minimal view (/health/live, through the same
   middleware) at several concurrencies; each page is reported as a ratio
   to the minimal view, since absolute figures drift on shared machines.
4. A flash sale (200 buyers on one listing at once, 10 rounds), purchase
   throughput on 1,000 listings of one event, search latency at full size
   and EXPLAIN ANALYZE of the common searches.
5. A cancelled event (bench/cancellation.py): BENCH_CANCEL_PURCHASES paid
   purchases of one event, the event cancelled and its resumable refund job
   run by two workers at once until each purchase is refunded once.
6. A rush (bench/rush.py): 2,000 fans reloading one event's page while the 200
   buyers race for its tickets and 20 sellers list more; the page's latency,
   errors, staleness and the purchases per listing, beside the minimal view
   under the same fans. Memory: the web workers' resident memory after the
   warm-up and again after the rush, on the same gunicorn (at least
   MEMORY_SECONDS apart: the fans keep reloading the event page until then).
7. A waiting list at scale (bench/waitlist.py): BENCH_WAITLIST_FANS fans on one
   event's list, BENCH_WAITLIST_TICKETS tickets listed through the API within
   a minute, each offered to the right fan; then 200 offered fans buy at once
   while 50 others try the same listings.

3b. Money on the event page (bench/money.py): what writing its amounts
   costs per page in each language, before and after Babel.

`python bench/run.py --only waitlist` runs step 7 alone on a fresh, migrated
encore_bench (no seeding, no page load) and merges its figures into
latest.json; `--only rush` fills the database (BENCH_EVENTS events) and runs
step 6 alone, its memory figures included; `--only money` fills it and runs 3b.

Figures go to bench/results/ (latest.json, a dated copy, summary.md and
latency.png). Nothing is asserted: this is a measurement, not a test.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (  # noqa: E402
    cachestats,
    cancellation,
    load,
    money,
    plans,
    report,
    rush,
    server,
    waitlist,
)

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
TICKETS_PER_EVENT = int(os.environ.get("BENCH_TICKETS_PER_EVENT", "100"))
RUSH_LISTINGS = 1000
BUYERS = 200
FLASH_ROUNDS = int(os.environ.get("BENCH_FLASH_ROUNDS", "10"))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,8,64").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
PURCHASE_CONCURRENCY = 16
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
# The event whose page, listing and API list are measured, and the first of
# the events whose cheapest listing each flash-sale round fights over.
MEASURED_KEY, FLASH_FIRST_KEY = 7, 100
# The workers' memory is read after the warm-up and again this long after, at least.
MEMORY_SECONDS = float(os.environ.get("BENCH_MEMORY_SECONDS", "300"))
EVENT_PAGE, EVENT_PAGE_LOGGED_IN = "event page (50 listings)", "event page, logged in (50 listings)"


def fill(env: dict) -> dict:
    server.database_recreate()
    server.redis_flush()
    migrate = server.manage(env, "migrate", "--noinput")
    # The seeder is a development tool: production's settings do not load it.
    seed = server.manage(
        {**env, "DJANGO_SETTINGS_MODULE": "marketplace.settings.base"},
        "seed_demo",
        "--scale",
        str(EVENTS),
        "--tickets-per-event",
        str(TICKETS_PER_EVENT),
        "--rush-listings",
        str(RUSH_LISTINGS),
        "--buyers",
        str(BUYERS),
    )
    static = server.manage(env, "collectstatic", "--noinput")
    return {"migrate_seconds": migrate, "seed_seconds": seed, "collectstatic_seconds": static}


def prepare(env: dict) -> dict:
    """A fresh, migrated encore_bench with no data: for a step run alone."""
    server.database_recreate()
    server.redis_flush()
    migrate = server.manage(env, "migrate", "--noinput")
    static = server.manage(env, "collectstatic", "--noinput")
    return {"migrate_seconds": migrate, "collectstatic_seconds": static}


def waitlist_step(env: dict) -> dict:
    """Step 6, against a gunicorn of its own (the same settings and workers) and
    an empty local Stripe of its own: the emulator slows down as it fills (a
    purchase's Stripe calls take about 6 ms when it is empty, 60 to 90 ms once
    it holds the 4,000 purchases of steps 4 and 5), which Stripe does not."""
    from marketplace.devtools.localstripe import localstripe_start

    port = server.free_port()
    stripe = localstripe_start(port=port, from_scratch=True)
    step_env = {
        **env,
        "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
        "STRIPE_JS_URL": f"http://127.0.0.1:{port}/js.stripe.com/v3/",
    }
    try:
        with server.gunicorn(step_env, workers=WORKERS) as (base, _):
            return {**waitlist.measure(base), "local_stripe": "its own, empty"}
    finally:
        stripe.terminate()
        stripe.wait(timeout=10)


def targets() -> dict:
    """The ids the measures use, read from the filled database."""
    from events.models import Event
    from listings.models import Listing

    def cheapest(event):
        return (
            Listing.objects.filter(ticket__event=event, status=Listing.Status.ACTIVE)
            .order_by("price", "id")
            .values_list("pk", flat=True)
            .first()
        )

    measured = Event.objects.get(metadata__bench_key=MEASURED_KEY)
    # A small run (BENCH_EVENTS under 100 + the rounds) fights over its last events.
    first = max(min(FLASH_FIRST_KEY, EVENTS - FLASH_ROUNDS), 0)
    flash = [
        cheapest(Event.objects.get(metadata__bench_key=first + n)) for n in range(FLASH_ROUNDS)
    ]
    rush = Listing.objects.filter(
        ticket__event__metadata__bench_key="rush", status=Listing.Status.ACTIVE
    ).order_by("pk")
    return {
        "event_id": measured.pk,
        "listing_id": cheapest(measured),
        "flash_listing_ids": flash,
        "rush_listing_ids": list(rush.values_list("pk", flat=True)),
    }


def data_counts() -> dict:
    from accounts.models import User
    from events.models import Event
    from listings.models import Listing
    from tickets.models import Ticket

    return {
        "events": Event.objects.count(),
        "tickets": Ticket.objects.count(),
        "active_listings": Listing.objects.filter(status=Listing.Status.ACTIVE).count(),
        "users": User.objects.count(),
    }


def buyer_tokens() -> list[str]:
    """Access tokens of the bench buyers, signed as the site signs them."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    buyers = User.objects.filter(email__startswith="bench-buyer-").order_by("pk")[:BUYERS]
    return [str(AccessToken.for_user(user)) for user in buyers]


def buyer_session_cookie() -> dict[str, str]:
    """The Cookie header of a logged-in bench buyer: a session stored as
    django.contrib.auth.login stores it (the user, the backend, the password's hash)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User

    user = User.objects.filter(email__startswith="bench-buyer-").order_by("pk").first()
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}


def logged_in_check(url: str, headers: dict[str, str]) -> None:
    """The logged-in measure must measure the logged-in page: its header offers "Log out"."""
    import urllib.request

    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        if b"Log out" not in response.read():
            raise RuntimeError(f"{url} with the bench buyer's session is not logged in.")


def page_urls(ids: dict) -> dict[str, tuple[str, dict]]:
    """Each measured page: its path and the request headers (a session cookie)."""
    logged_in = buyer_session_cookie()
    return {
        report.BASELINE: ("/health/live", {}),
        "home": ("/", {}),
        "events search": ("/events/?q=concert", {}),
        EVENT_PAGE: (f"/events/{ids['event_id']}/", {}),
        EVENT_PAGE_LOGGED_IN: (f"/events/{ids['event_id']}/", logged_in),
        "listing page": (f"/listings/{ids['listing_id']}/", {}),
        "GET /api/v1/listings?event_id=": (f"/api/v1/listings?event_id={ids['event_id']}", {}),
        "GET /api/v1/events": ("/api/v1/events", {}),
    }


def warm_up(base: str, urls: dict[str, tuple[str, dict]]) -> None:
    """Every worker's connections and templates warm before anything is measured."""
    logged_in_check(base + urls[EVENT_PAGE_LOGGED_IN][0], urls[EVENT_PAGE_LOGGED_IN][1])
    for url, headers in urls.values():
        load.wrk(base + url, connections=8, seconds=1, headers=headers)


def measure_pages(base: str, urls: dict[str, tuple[str, dict]]) -> dict:
    pages: dict[str, dict] = {name: {} for name in urls}
    for level in CONCURRENCY:
        # Each page right after the minimal view, so both meet the same machine.
        for name, (url, headers) in urls.items():
            measured = load.wrk(base + url, connections=level, seconds=SECONDS, headers=headers)
            pages[name][str(level)] = measured
            print(f"  c={level:<3} {name}: {measured['rps']}/s", flush=True)
    return pages


def measure_search(base: str, event_id: int) -> dict:
    """Each search as served (wrk at one connection, after a warm-up: mostly
    from the cache), and as built from the database: `built` times requests
    each made right after the catalogue's version token is replaced, so none
    finds its page in the cache."""
    figures = {}
    for name, url in plans.search_urls(event_id).items():
        load.wrk(base + url, connections=1, seconds=1)
        figures[name] = load.wrk(base + url, connections=1, seconds=max(2.0, SECONDS / 2))
        figures[name]["built"] = search_built(base + url, event_id)
    return figures


def search_built(url: str, event_id: int, *, requests: int = 40) -> dict:
    import http.client
    from urllib.parse import urlsplit

    from marketplace.core.versions import CATALOGUE, event_scope, versions_bump

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    took = []
    for _ in range(requests):
        versions_bump(CATALOGUE, event_scope(event_id))
        started = time.perf_counter()
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        response.read()
        took.append(time.perf_counter() - started)
    connection.close()
    return {
        "requests": requests,
        "p50_ms": round(load.percentile(took, 0.50) * 1000, 2),
        "p99_ms": round(load.percentile(took, 0.99) * 1000, 2),
    }


def flash_sale(base: str, tokens: list[str], listing_ids: list[int]) -> dict:
    from payments.models import Transaction

    rounds = []
    for listing_id in listing_ids:
        outcome = load.flash_round(base, tokens, listing_id)
        outcome["transactions_in_database"] = Transaction.objects.filter(
            listing_id=listing_id
        ).count()
        rounds.append(outcome)
        print(f"  flash round {len(rounds)}: {outcome['sold']} sold", flush=True)
    answered = [r["all_answered_s"] for r in rounds]
    return {
        "attempts_per_round": len(tokens),
        "sold_per_round": sorted({r["sold"] for r in rounds}),
        "server_errors_5xx": sum(r["server_errors_5xx"] for r in rounds),
        "all_answered_median_s": round(statistics.median(answered), 3),
        "all_answered_max_s": max(answered),
        "rounds": rounds,
    }


def memory_sample(pid: int) -> dict:
    return {"at": time.monotonic(), **server.workers_rss_mb(pid)}


def memory(start: dict, end: dict, soak: dict | None) -> dict:
    """The workers' memory after the warm-up and at the end, on the same gunicorn;
    the top-level figures are the end's."""
    started_at, ended_at = start.pop("at"), end.pop("at")
    return {
        **end,
        "seconds_apart": round(ended_at - started_at, 1),
        "start": start,
        "end": end,
        "growth_mb": round(end["total_mb"] - start["total_mb"], 1),
        "soak": soak,
    }


def soak(base: str, url: str, until: float) -> dict | None:
    """The rush's fans keep reloading the event page until `until` (time.monotonic()),
    so the memory's two readings are MEMORY_SECONDS apart."""
    left = until - time.monotonic()
    if left < 1:
        return None
    print(f"  fans on the event page for {left:.0f} s more (memory) ...", flush=True)
    measured = load.wrk(base + url, connections=rush.FANS, seconds=left, think_ms=rush.THINK_MS)
    return {"seconds": round(left, 1), **measured}


def measure_all(env: dict, results: dict) -> None:
    """Steps 3 to 7 on the filled database."""
    ids = targets()
    results["data"] = data_counts()
    results["plans"] = plans.explain_all(ids["event_id"])
    print("Money on the event page ...", flush=True)
    results["money"] = money.measure(ids["event_id"])
    with server.gunicorn(env, workers=WORKERS) as (base, pid):
        urls = page_urls(ids)
        warm_up(base, urls)
        memory_start = memory_sample(pid)
        print("Pages ...", flush=True)
        counted = cachestats.read(base, env["METRICS_TOKEN"])
        results["pages"] = measure_pages(base, urls)
        results["cache"] = {
            "pages": cachestats.ratios(counted, cachestats.read(base, env["METRICS_TOKEN"]))
        }
        print("Search ...", flush=True)
        results["search"] = measure_search(base, ids["event_id"])
        tokens = buyer_tokens()
        print("Flash sale ...", flush=True)
        results["flash_sale"] = flash_sale(base, tokens, ids["flash_listing_ids"])
        print("Purchases ...", flush=True)
        jobs = [(tokens[i % len(tokens)], pk) for i, pk in enumerate(ids["rush_listing_ids"])]
        results["purchase_throughput"] = load.purchase_run(
            base, jobs, concurrency=PURCHASE_CONCURRENCY
        )
        print("A rush ...", flush=True)
        counted = cachestats.read(base, env["METRICS_TOKEN"])
        results["rush"] = rush.measure(base, tokens)
        results["cache"]["rush"] = cachestats.ratios(
            counted, cachestats.read(base, env["METRICS_TOKEN"])
        )
        soaked = soak(base, urls[EVENT_PAGE][0], memory_start["at"] + MEMORY_SECONDS)
        results["memory"] = memory(memory_start, memory_sample(pid), soaked)
    print("A cancelled event ...", flush=True)
    results["event_cancellation"] = cancellation.measure()
    print("A waiting list ...", flush=True)
    results["waitlist"] = waitlist_step(env)


def rush_step(env: dict, results: dict) -> None:
    """Step 6 alone (`--only rush`), with the memory readings around it."""
    with server.gunicorn(env, workers=WORKERS) as (base, pid):
        urls = page_urls(targets())
        warm_up(base, urls)
        memory_start = memory_sample(pid)
        results["rush"] = rush.measure(base, buyer_tokens())
        soaked = soak(base, urls[EVENT_PAGE][0], memory_start["at"] + MEMORY_SECONDS)
        results["rush"]["memory"] = memory(memory_start, memory_sample(pid), soaked)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="make bench: Encore under a ticket rush.")
    parser.add_argument(
        "--only",
        choices=["waitlist", "rush", "money"],
        help="run this step alone on a fresh encore_bench (empty for waitlist, filled for "
        "rush) and merge its figures into bench/results/latest.json",
    )
    only = parser.parse_args(argv).only
    started = time.perf_counter()
    stripe_port = server.free_port()
    env = server.environment(stripe_port=stripe_port)
    os.environ.update(env)
    if only == "waitlist":
        print(f"Preparing an empty database for the {only} step ...", flush=True)
        filled = prepare(env)
    else:
        print(f"Filling {EVENTS:,} events x {TICKETS_PER_EVENT} tickets ...", flush=True)
        filled = fill(env)

    import django

    django.setup()
    from marketplace.devtools.localstripe import localstripe_start

    stripe = localstripe_start(port=stripe_port, from_scratch=True)
    try:
        results = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "server": {
                "workers": WORKERS,
                "threads": int(env.get("GUNICORN_THREADS") or 4),
                "seconds_per_measure": SECONDS,
            },
            "fill": filled,
        }
        if only == "waitlist":
            results["waitlist"] = waitlist_step(env)
        elif only == "rush":
            rush_step(env, results)
        elif only == "money":
            results["money"] = money.measure(targets()["event_id"])
        else:
            measure_all(env, results)
    finally:
        stripe.terminate()
        stripe.wait(timeout=10)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    if only:
        print(report.merge(only, results[only], seconds=results["total_seconds"]))
    else:
        print(report.write(results).read_text())


if __name__ == "__main__":
    main()
