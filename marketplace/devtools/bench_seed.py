"""The benchmark's data, written by `seed_demo --scale/--rush-listings/--buyers`.

Benchmark events (metadata bench_key 0..N-1), each with listed tickets on
sale; one rush event (metadata bench_key "rush") with many listings, for the
flash sale and the purchase benchmark; buyer accounts bench-buyer-N. All are
written with bulk_create, found again by their keys so a re-run adds only
what is missing, and share one sample PDF. On PostgreSQL the filled tables
are analysed at the end, so the planner knows their size at once.
"""

import datetime
import random
from collections import Counter
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.models import User
from events.models import Event
from listings.event_copies import event_copies
from listings.models import Listing
from listings.pricing import price_limits, price_validate
from marketplace.core.storage import private_storage
from marketplace.devtools import demo_data
from tickets.barcodes import barcode_hash, barcode_last4
from tickets.models import Ticket

SAMPLE_FILE = "tickets/bench/encore-bench-sample.pdf"
CHUNK = 500  # events per round of bulk inserts
CATEGORIES = ("concert", "sports", "theater", "festival", "other")
RUSH_KEY = "rush"
BUYER_EMAIL = "bench-buyer-{n}@encore.localhost"
# Bench buyers log in with this password; they exist only in benchmark databases.
BUYER_PASSWORD = "bench-buyer-password"  # noqa: S105


def listing_price(ticket: Ticket, event: Event, *, mode: int, rng: random.Random) -> Decimal:
    """A price within the ticket's caps: `mode` 0 at face value, 1 under it, 2 at the
    cap, 3 in between (demo_data.demo_price)."""
    rules = {"category": event.category, "country": event.country}
    limits = price_limits(face_value=ticket.face_value, **rules)
    price = demo_data.demo_price(
        limits=limits,
        face_value=ticket.face_value,
        mode=mode,
        fraction=Decimal(rng.randint(0, 100)) / 100,
    )
    return price_validate(price=price, face_value=ticket.face_value, **rules)


def sample_file() -> str:
    """One PDF in private storage that every benchmark ticket points at."""
    storage = private_storage()
    if storage.exists(SAMPLE_FILE):
        return SAMPLE_FILE
    pdf = demo_data.ticket_pdf(["Encore benchmark ticket", "Not valid for entry"])
    return storage.save(SAMPLE_FILE, ContentFile(pdf))


class BenchSeeder:
    def __init__(self, *, organizer: User, sellers: list[User]):
        self.organizer = organizer
        self.sellers = sellers
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.created = Counter()
        self.existing = Counter()

    def events(self, scale: int, per_event: int) -> None:
        """Events bench_key 0..scale-1, each with `per_event` listed tickets."""
        existing = set(
            Event.objects.filter(metadata__has_key="bench_key").values_list(
                "metadata__bench_key", flat=True
            )
        )
        missing = [key for key in range(scale) if key not in existing]
        self.existing["bench events"] += scale - len(missing)
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            self._fill([self._event(key) for key in chunk], per_event)

    def rush(self, listings: int) -> None:
        """The rush event: one concert with `listings` tickets on sale."""
        if Event.objects.filter(metadata__bench_key=RUSH_KEY).exists():
            self.existing["bench events"] += 1
            return
        event = self._event(0, name="Bench Rush Night", key_value=RUSH_KEY)
        self._fill([event], listings)

    def buyers(self, count: int) -> None:
        """Accounts bench-buyer-0..count-1, active and verified."""
        emails = [BUYER_EMAIL.format(n=n) for n in range(count)]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        password = make_password(BUYER_PASSWORD)
        new = [
            User(
                email=email,
                name=f"Bench buyer {n}",
                password=password,
                status=User.Status.ACTIVE,
                email_verified=True,
            )
            for n, email in enumerate(emails)
            if email not in existing
        ]
        User.objects.bulk_create(new, batch_size=1000)
        self.created["bench buyers"] += len(new)
        self.existing["bench buyers"] += len(existing)

    def analyze(self) -> None:
        if connection.vendor == "postgresql" and (
            self.created["bench tickets"] or self.created["bench buyers"]
        ):
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE users, events, tickets, listings")

    def _event(self, key: int, *, name: str = "", key_value=None) -> Event:
        category = CATEGORIES[key % len(CATEGORIES)]
        venue = list(demo_data.VENUES.values())[key % len(demo_data.VENUES)]
        return Event(
            name=name or f"Bench {category.capitalize()} {key:05d}",
            description="A benchmark event made by seed_demo.",
            # Spread over the next six months, from tomorrow.
            event_date=self.today + datetime.timedelta(days=1 + (key * 37) % 182),
            event_time=datetime.time(19, 30),
            location=venue.location,
            venue_name=venue.name,
            city=venue.city,
            country=venue.country,
            postal_code=venue.postal_code,
            organizer=self.organizer,
            status=Event.Status.PUBLISHED,
            category=category,
            metadata={"bench_key": key if key_value is None else key_value},
            currency=venue.currency,
        )

    def _fill(self, events: list[Event], per_event: int) -> None:
        events = Event.objects.bulk_create(events)
        file = sample_file()
        tickets = [self._ticket(event, n, file) for event in events for n in range(per_event)]
        tickets = Ticket.objects.bulk_create(tickets, batch_size=1000)
        rng = random.Random(42)
        listings = [
            Listing(
                ticket=ticket,
                seller=ticket.owner,
                price=listing_price(ticket, ticket.event, mode=i % 4, rng=rng),
                status=Listing.Status.ACTIVE,
                listed_at=self.now,
                expires_at=ticket.event.starts_at,
                **event_copies(ticket.event),
            )
            for i, ticket in enumerate(tickets)
        ]
        Listing.objects.bulk_create(listings, batch_size=1000)
        self.created["bench events"] += len(events)
        self.created["bench tickets"] += len(tickets)

    def _ticket(self, event: Event, n: int, file: str) -> Ticket:
        key = event.metadata["bench_key"]
        number = key if isinstance(key, int) else 9_999_999
        return bench_ticket(
            event=event,
            n=n,
            base=demo_data.BASE_FACE_VALUE[event.category] + 5 * (number % 5),
            owner=self.sellers[(number + n) % len(self.sellers)],
            barcode=demo_data.bench_barcode(number, n),
            file=file,
        )


def bench_users(email: str, kind: str, count: int, **fields) -> list[User]:
    """`count` active accounts with a confirmed email and no usable password
    (the bench logs them in with tokens), in creation order; `email` is a
    pattern with {kind} and {n}."""
    emails = [email.format(kind=kind, n=n) for n in range(count)]
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=address,
                name=f"Bench {kind} {n}",
                password=password,
                status=User.Status.ACTIVE,
                email_verified=True,
                **fields,
            )
            for n, address in enumerate(emails)
        ],
        batch_size=1000,
    )
    return list(User.objects.filter(email__in=emails).order_by("pk"))


def bench_event(*, name: str, description: str, key: str, organizer) -> Event:
    """A published concert of the bench, a month ahead at 20:00 in the demo's
    first venue, marked with `key` in its metadata (found again by it)."""
    venue = demo_data.VENUES[next(iter(demo_data.VENUES))]
    return Event.objects.create(
        name=name,
        description=description,
        event_date=timezone.localdate() + datetime.timedelta(days=30),
        event_time=datetime.time(20, 0),
        location=venue.location,
        venue_name=venue.name,
        city=venue.city,
        country=venue.country,
        postal_code=venue.postal_code,
        organizer=organizer,
        status=Event.Status.PUBLISHED,
        category="concert",
        metadata={"bench_key": key},
        currency=venue.currency,
    )


def bench_ticket(*, event: Event, n: int, base, owner, barcode: str, file: str) -> Ticket:
    """The `n`th listed ticket of a bench event (unsaved, for bulk_create): its tier,
    seat and face value from the demo's tiers over `base`.

    Bulk seeding stays fast: no file is read here (the upload service would decode
    each ticket's file). The benchmark's tickets are marked verified directly, and
    share one sample file, so they have no file hash of their own (file_sha256 ""
    is outside the one-file guard)."""
    ticket_type, section, share = demo_data.TIERS[event.category][
        n % len(demo_data.TIERS[event.category])
    ]
    row, seat = demo_data.seat_for(ticket_type, n)
    return Ticket(
        event=event,
        owner=owner,
        ticket_type=ticket_type,
        section=section,
        row=row,
        seat=seat,
        face_value=demo_data.tier_face_value(base, share),
        barcode_hash=barcode_hash(barcode),
        barcode_last4=barcode_last4(barcode),
        file=file,
        status=Ticket.Status.LISTED,
        barcode_source=Ticket.BarcodeSource.FILE,
        verification=Ticket.Verification.VERIFIED,
        file_sha256="",
    )
