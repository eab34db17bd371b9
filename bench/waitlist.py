"""A waiting list at scale (ARCHITECTURE.md, rule 13).

BENCH_WAITLIST_FANS fans (10,000) join one published event's waiting list, a
month ahead (offer window 30 minutes), through the real service
(listings.waitlist.entries.waitlist_join, JOIN_THREADS at a time, so each
entry and its audit row are the service's own), one ticket each, every
account's email confirmed. BENCH_WAITLIST_TICKETS sellers (1,000) each own one
verified ticket of the event, written in bulk as the bench seeder writes them.

1. Listing: the sellers list their tickets through the site, POST
   /api/v1/listings with their own access tokens, spread evenly over
   BENCH_WAITLIST_LISTING_SECONDS (60) by LISTING_CLIENTS connections (the
   schedule does not wait for slow answers, up to LISTING_CLIENTS in flight).
   The listing service holds each listing for the waiting list and passes it
   on once its transaction commits, in the same request; no periodic job runs.
   Meanwhile the public search (GET /api/v1/listings?event_id=) is polled.
2. Checked in the database afterwards: each listing has exactly one offer, open;
   the fans offered are the first BENCH_WAITLIST_TICKETS in line (by position);
   no fan holds two offers, no listing was offered twice, no listing was ever
   on sale to the public (the poll, the release audit rows, the statuses).
   Listing to offer: from the held offer's row (written last in the listing's
   transaction) to the offer's outbox email (written with its notification in
   the offer's transaction, which sends it once committed).
3. Accepting: ACCEPT_BUYERS (200) of the offered fans buy their ticket with
   POST /api/v1/transactions/purchase and the test card pm_card_visa (charged at
   once by the local Stripe) at the same instant, together with INTRUDERS (50)
   accounts not offered anything (half waiting further back in line, half not
   on the list) trying the same listings.

Measured, never asserted: the figures go to results["waitlist"].
"""

import datetime
import http.client
import json
import os
import queue
import random
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

from bench.load import percentile
from bench.threads import outcomes_of

FANS = int(os.environ.get("BENCH_WAITLIST_FANS", "10000"))
TICKETS = int(os.environ.get("BENCH_WAITLIST_TICKETS", "1000"))
LISTING_SECONDS = float(os.environ.get("BENCH_WAITLIST_LISTING_SECONDS", "60"))
ACCEPT_BUYERS = int(os.environ.get("BENCH_WAITLIST_BUYERS", "200"))
INTRUDERS = 50
JOIN_THREADS = 4
LISTING_CLIENTS = int(os.environ.get("BENCH_WAITLIST_CLIENTS", "16"))
POLL_SECONDS = 1.0
PAYMENT_METHOD = "pm_card_visa"
EMAIL = "bench-waitlist-{kind}-{n}@encore.localhost"
WAITLIST_KEY = "waitlist"
LISTINGS_PATH = "/api/v1/listings"
PURCHASE_PATH = "/api/v1/transactions/purchase"


def _spread(values_ms: list[float]) -> dict:
    if not values_ms:
        return {"p50": None, "p99": None, "max": None}
    return {
        "p50": round(percentile(values_ms, 0.50), 1),
        "p99": round(percentile(values_ms, 0.99), 1),
        "max": round(max(values_ms), 1),
    }


# --- HTTP ---------------------------------------------------------------------------------


class Client:
    """One HTTP/1.1 client of the site; each request carries the given token."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)

    def send(self, method: str, path: str, *, token: str = "", body=None) -> tuple[int, dict]:
        """(status, the envelope) of one request; status 0 when nothing answered."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            self.connection.request(
                method, path, body=json.dumps(body) if body is not None else None, headers=headers
            )
            response = self.connection.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, {}
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {}

    def close(self) -> None:
        self.connection.close()


def _token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


# --- seeding ------------------------------------------------------------------------------


def _users(kind: str, count: int, **fields) -> list:
    """`count` active accounts with a confirmed email, in creation order."""
    from marketplace.devtools.bench_seed import bench_users

    return bench_users(EMAIL, kind, count, **fields)


def _event_with_tickets(*, organizer, sellers: list):
    """A published concert a month ahead, and one verified ticket in hand per seller."""

    from marketplace.devtools import demo_data
    from marketplace.devtools.bench_seed import bench_event, bench_ticket, sample_file
    from tickets.models import Ticket

    event = bench_event(
        name="Bench Waiting List Night",
        description="A benchmark event, sold out, with a long waiting list (bench/waitlist.py).",
        key=WAITLIST_KEY,
        organizer=organizer,
    )
    file = sample_file()
    tickets = []
    for n, seller in enumerate(sellers):
        ticket = bench_ticket(
            event=event,
            n=n,
            base=demo_data.BASE_FACE_VALUE[event.category],
            owner=seller,
            barcode=f"BENCH-WAITLIST-{n:07d}",
            file=file,
        )
        ticket.status = Ticket.Status.AVAILABLE  # in hand, not yet listed
        tickets.append(ticket)
    return event, Ticket.objects.bulk_create(tickets, batch_size=1000)


def _join_all(event, fans: list) -> dict:
    """Every fan joins through waitlist_join, JOIN_THREADS at a time, taking
    them in order from one queue."""
    from listings.waitlist.entries import waitlist_join

    def join(fan):
        _, created = waitlist_join(fan=fan, event=event, quantity=1)
        return ["joined" if created else "already waiting"]

    outcomes, seconds = outcomes_of(fans, threads=JOIN_THREADS, attempt=join)
    return {
        "join_seconds": round(seconds, 1),
        "join_per_second": round(len(fans) / seconds, 1),
        "join_outcomes": dict(outcomes),
    }


def seed(fans_count: int, tickets_count: int) -> dict:
    from django.db import connection

    from accounts.models import User
    from listings.models import WaitlistEntry
    from marketplace.core.models import AuditAction, AuditLog

    started = time.perf_counter()
    organizer = _users("organizer", 1, role=User.Role.ORGANIZER)[0]
    fans = _users("fan", fans_count)
    sellers = _users("seller", tickets_count)
    outsiders = _users("outsider", INTRUDERS - INTRUDERS // 2)
    event, tickets = _event_with_tickets(organizer=organizer, sellers=sellers)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users, tickets")
    bulk_seconds = time.perf_counter() - started
    joined = _join_all(event, fans)
    entries = WaitlistEntry.objects.filter(event=event, state=WaitlistEntry.State.WAITING)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE waitlist_entries, audit_logs")
    return {
        "event": event,
        "tickets": tickets,
        "fans": fans,
        "outsiders": outsiders,
        "figures": {
            "seed_seconds": round(time.perf_counter() - started, 1),
            "bulk_seconds": round(bulk_seconds, 1),
            "join_threads": JOIN_THREADS,
            **joined,
            "entries_waiting": entries.count(),
            "distinct_positions": entries.values("position").distinct().count(),
            "join_audit_rows": AuditLog.objects.filter(
                action=AuditAction.WAITLIST_JOINED,
                entity_type="waitlistentry",
                entity_id__in=[str(pk) for pk in entries.values_list("pk", flat=True)],
            ).count(),
        },
    }


# --- 1. listing ---------------------------------------------------------------------------


def _poll_public(base: str, event_id: int, stop: threading.Event) -> dict:
    """GET the event's public listings every POLL_SECONDS until `stop`: the most
    ever shown, and how many polls answered."""
    seen = {"polls": 0, "max_public": 0, "failed": 0}

    def poller() -> None:
        client = Client(base)
        while not stop.wait(POLL_SECONDS):
            status, envelope = client.send("GET", f"{LISTINGS_PATH}?event_id={event_id}&limit=1")
            if status != 200:
                seen["failed"] += 1
                continue
            seen["polls"] += 1
            total = envelope.get("meta", {}).get("pagination", {}).get("total") or 0
            seen["max_public"] = max(seen["max_public"], total)
        client.close()

    thread = threading.Thread(target=poller)
    thread.start()
    seen["thread"] = thread
    return seen


def list_all(base: str, event, tickets: list, seconds: float) -> dict:
    """Each seller lists their ticket through the API at its slot of the
    schedule (ticket n at n x seconds / len(tickets)), LISTING_CLIENTS at a time."""
    from marketplace.devtools.bench_seed import listing_price

    rng = random.Random(7)  # noqa: S311 (prices, not secrets)
    jobs: queue.Queue = queue.Queue()
    step = seconds / max(len(tickets), 1)
    for n, ticket in enumerate(tickets):
        price = listing_price(ticket, event, mode=n % 4, rng=rng)
        jobs.put((n * step, ticket.pk, str(price), _token(ticket.owner)))
    answers: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()
    public = _poll_public(base, event.pk, stop)
    started = time.perf_counter()

    def seller_client() -> None:
        client = Client(base)
        while True:
            try:
                due, ticket_id, price, token = jobs.get_nowait()
            except queue.Empty:
                break
            wait = started + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            status, envelope = client.send(
                "POST", LISTINGS_PATH, token=token, body={"ticket_id": ticket_id, "price": price}
            )
            answered = time.perf_counter()
            data = envelope.get("data") or {}
            with lock:
                answers.append(
                    {
                        "status": status,
                        "listing_id": data.get("id") if status == 201 else None,
                        "code": (envelope.get("error") or {}).get("code"),
                        "late_ms": (sent - started - due) * 1000,
                        "took_ms": (answered - sent) * 1000,
                        "answered": answered - started,
                    }
                )
        client.close()

    threads = [threading.Thread(target=seller_client) for _ in range(LISTING_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    public.pop("thread").join()
    statuses = Counter(a["status"] for a in answers)
    return {
        "listing_ids": [a["listing_id"] for a in answers if a["listing_id"]],
        "figures": {
            "schedule_seconds": seconds,
            "listing_clients": LISTING_CLIENTS,
            "listed_in_seconds": round(max(a["answered"] for a in answers), 1),
            "listed_per_second": round(statuses[201] / max(a["answered"] for a in answers), 1),
            "listing_statuses": {str(k): v for k, v in sorted(statuses.items())},
            "listing_errors": dict(Counter(a["code"] for a in answers if a["status"] != 201)),
            "listing_request_ms": _spread([a["took_ms"] for a in answers]),
            "listing_sent_late_ms": _spread([a["late_ms"] for a in answers]),
            "public_polls": public["polls"],
            "public_polls_failed": public["failed"],
            "public_seen_max": public["max_public"],
        },
    }


# --- 2. checks ----------------------------------------------------------------------------


def offer_checks(
    *, listing_ids: list[int], offers: list[tuple[int, int | None, str]], line: list[int]
) -> dict:
    """The waiting list's promises over the rows read back.

    `offers`: (listing id, entry id or None, state) of every offer of the listings;
    `line`: the waiting entries' ids, first in line first. Each listing should have
    exactly one offer, open, and the open offers should go to the first
    len(listing_ids) entries of the line, one each."""
    open_offers = [(listing, entry) for listing, entry, state in offers if state == "open"]
    per_listing = Counter(listing for listing, _ in open_offers)
    per_entry = Counter(entry for _, entry in open_offers)
    offers_per_listing = Counter(listing for listing, _, _ in offers)
    offered = {entry for _, entry in open_offers}
    first = set(line[: len(listing_ids)])
    rank = {entry: n for n, entry in enumerate(line)}
    return {
        "listings": len(listing_ids),
        "listings_with_one_open_offer": sum(1 for pk in listing_ids if per_listing[pk] == 1),
        "listings_without_offer": sum(1 for pk in listing_ids if not per_listing[pk]),
        "listings_offered_twice": sum(1 for n in per_listing.values() if n > 1),
        "listings_with_other_offers": sum(
            1 for pk in listing_ids if offers_per_listing[pk] != per_listing[pk]
        ),
        "fans_with_two_offers": sum(1 for n in per_entry.values() if n > 1),
        "double_offers": sum(n - 1 for n in per_listing.values() if n > 1)
        + sum(n - 1 for n in per_entry.values() if n > 1),
        "offered_in_order": offered == first and len(open_offers) == len(listing_ids),
        "offered_outside_first": len(offered - first),
        "first_not_offered": len(first - offered),
        "last_place_offered": max((rank.get(e, len(line)) + 1 for e in offered), default=0),
    }


def check(event, listing_ids: list[int], public_seen_max: int) -> dict:
    """Read the offers back and time listing -> offer sent."""
    from listings.models import Listing, WaitlistEntry, WaitlistOffer
    from marketplace.core.models import AuditAction, AuditLog
    from messaging.models import Email, Notification

    line = list(
        WaitlistEntry.objects.filter(event=event, state=WaitlistEntry.State.WAITING)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    rows = list(
        WaitlistOffer.objects.filter(listing_id__in=listing_ids).values_list(
            "pk", "listing_id", "entry_id", "state", "created_at", "offered_at"
        )
    )
    checks = offer_checks(
        listing_ids=listing_ids,
        offers=[(listing, entry, state) for _, listing, entry, state, _, _ in rows],
        line=line,
    )
    open_rows = [row for row in rows if row[3] == WaitlistOffer.State.OPEN]
    notifications = dict(
        Notification.objects.filter(
            type=Notification.Type.WAITLIST_OFFER,
            payload__offer_id__in=[row[0] for row in open_rows],
        ).values_list("payload__offer_id", "pk")
    )
    sent = dict(
        Email.objects.filter(notification_id__in=notifications.values()).values_list(
            "notification_id", "created_at"
        )
    )
    to_offer, to_pass_on, passing_on = [], [], []
    for pk, _, _, _, created_at, offered_at in open_rows:
        to_pass_on.append((offered_at - created_at).total_seconds() * 1000)
        email_at = sent.get(notifications.get(pk))
        if email_at is not None:
            to_offer.append((email_at - created_at).total_seconds() * 1000)
            passing_on.append((email_at - offered_at).total_seconds() * 1000)
    # In the order the offers were made, how far each fan's place is from the
    # offer's rank (concurrent pass-ons may swap neighbours).
    rank = {entry: n for n, entry in enumerate(line)}
    by_time = sorted(open_rows, key=lambda row: (row[5], row[0]))
    displacement = [abs(rank.get(row[2], len(line)) - n) for n, row in enumerate(by_time)]
    released = AuditLog.objects.filter(
        action=AuditAction.WAITLIST_RELEASED,
        entity_type="listing",
        entity_id__in=[str(pk) for pk in listing_ids],
    ).count()
    statuses = Counter(Listing.objects.filter(pk__in=listing_ids).values_list("status", flat=True))
    return {
        **checks,
        "listing_to_offer_ms": _spread(to_offer),
        # The two parts: until the pass-on starts (the listing's commit, then
        # its on-commit hook), and the pass-on itself (finding the fan, the offer).
        "listing_to_pass_on_start_ms": _spread(to_pass_on),
        "pass_on_to_offer_ms": _spread(passing_on),
        "offer_emails": len(to_offer),
        "offer_notifications": Notification.objects.filter(
            type=Notification.Type.WAITLIST_OFFER,
            user__waitlist_entries__event=event,
        ).count(),
        "order_displacement_max": max(displacement, default=0),
        "released_to_public": released,
        "listing_statuses_after": dict(statuses),
        "public_meanwhile": max(public_seen_max, released, statuses.get("active", 0)),
    }


# --- 3. accepting -------------------------------------------------------------------------


def accept(base: str, event, listing_ids: list[int], outsiders: list, buyers: int) -> dict:
    """`buyers` offered fans buy their listing, and INTRUDERS others try the
    first INTRUDERS of the same listings, all released at once by a barrier."""
    from listings.models import WaitlistEntry, WaitlistOffer
    from payments.models import Transaction

    offers = list(
        WaitlistOffer.objects.filter(listing_id__in=listing_ids, state=WaitlistOffer.State.OPEN)
        .select_related("entry__fan")
        .order_by("entry__position", "entry_id")[:buyers]
    )
    late_fans = [
        entry.fan
        for entry in WaitlistEntry.objects.filter(event=event, state=WaitlistEntry.State.WAITING)
        .exclude(offers__state=WaitlistOffer.State.OPEN)
        .select_related("fan")
        .order_by("-position", "-id")[: INTRUDERS // 2]
    ]
    intruders = late_fans + outsiders[: INTRUDERS - len(late_fans)]
    # (kind, token, listing id): each buyer their own listing; intruders the first ones.
    attempts = [("buyer", _token(offer.entry.fan), offer.listing_id) for offer in offers]
    attempts += [
        ("intruder", _token(user), offers[n % len(offers)].listing_id)
        for n, user in enumerate(intruders if offers else [])
    ]
    clients = [Client(base) for _ in attempts]
    for client in clients:
        client.connection.connect()
    barrier = threading.Barrier(len(attempts) + 1)
    results: list = [None] * len(attempts)

    def attempt(index: int) -> None:
        kind, token, listing_id = attempts[index]
        barrier.wait()
        started = time.perf_counter()
        status, envelope = clients[index].send(
            "POST",
            PURCHASE_PATH,
            token=token,
            body={"listing_id": listing_id, "payment_method_id": PAYMENT_METHOD},
        )
        took = time.perf_counter() - started
        results[index] = (kind, status, (envelope.get("error") or {}).get("code"), took)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    all_answered = time.perf_counter() - started
    for client in clients:
        client.close()

    def of(kind: str) -> list:
        return [r for r in results if r[0] == kind]

    bought = of("buyer")
    tried = of("intruder")
    bought_ms = [took * 1000 for _, _, _, took in bought]
    accepted_listings = [offer.listing_id for offer in offers]
    sales = Transaction.objects.filter(listing_id__in=accepted_listings)
    intruder_ids = [user.pk for user in intruders]
    return {
        "buyers": len(bought),
        "created": sum(1 for r in bought if r[1] == 201),
        "conflicts": sum(1 for r in bought if r[1] == 409),
        "errors_5xx": sum(1 for r in bought if r[1] >= 500),
        "no_answer": sum(1 for r in bought if r[1] == 0),
        "other_statuses": dict(
            Counter(str(r[1]) for r in bought if r[1] not in (0, 201, 409) and r[1] < 500)
        ),
        "p50_ms": round(percentile(bought_ms, 0.50), 1) if bought_ms else None,
        "p99_ms": round(percentile(bought_ms, 0.99), 1) if bought_ms else None,
        "all_answered_s": round(all_answered, 2),
        "bought_per_second": round(sum(1 for r in bought if r[1] == 201) / all_answered, 1),
        "paid_in_database": sales.filter(status=Transaction.Status.PAID).count(),
        "bought_through_offer": sales.filter(waitlist_offer__isnull=False).count(),
        "offers_accepted": WaitlistOffer.objects.filter(
            listing_id__in=accepted_listings, state=WaitlistOffer.State.ACCEPTED
        ).count(),
        "intruders": {
            "tries": len(tried),
            "waiting_fans": len(late_fans),
            "not_on_list": len(intruders) - len(late_fans),
            "succeeded": sum(1 for r in tried if r[1] == 201),
            "ticket_not_available_409": sum(
                1 for r in tried if r[1] == 409 and r[2] == "TICKET_NOT_AVAILABLE"
            ),
            "errors_5xx": sum(1 for r in tried if r[1] >= 500),
            "statuses": dict(Counter(f"{r[1]} {r[2] or ''}".strip() for r in tried)),
            "transactions_in_database": Transaction.objects.filter(
                buyer_id__in=intruder_ids, listing__ticket__event=event
            ).count(),
        },
    }


def measure(
    base: str,
    fans: int = FANS,
    tickets: int = TICKETS,
    seconds: float = LISTING_SECONDS,
    buyers: int = ACCEPT_BUYERS,
) -> dict:
    """Seed, list, check and accept against the site at `base`; the figures for
    results["waitlist"]."""
    started = time.perf_counter()
    print(f"  {fans:,} fans join one event's waiting list ...", flush=True)
    seeded = seed(fans, tickets)
    figures = seeded["figures"]
    print(
        f"  joined in {figures['join_seconds']} s ({figures['join_per_second']}/s);"
        f" listing {tickets:,} tickets over {seconds:.0f} s ...",
        flush=True,
    )
    listed = list_all(base, seeded["event"], seeded["tickets"], seconds)
    print(f"  listed in {listed['figures']['listed_in_seconds']} s; checking ...", flush=True)
    checked = check(seeded["event"], listed["listing_ids"], listed["figures"]["public_seen_max"])
    print(f"  {min(buyers, len(listed['listing_ids']))} offered fans buy at once ...", flush=True)
    accepted = accept(
        base, seeded["event"], listed["listing_ids"], seeded["outsiders"], buyers=buyers
    )
    intruders = accepted.pop("intruders")
    return {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "fans": fans,
        "tickets": tickets,
        **figures,
        **listed["figures"],
        **checked,
        "accept": accepted,
        "intruders": intruders,
        "step_seconds": round(time.perf_counter() - started, 1),
    }
