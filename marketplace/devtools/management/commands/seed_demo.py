"""`manage.py seed_demo`: the demo accounts, events, tickets and listings; idempotent.

Run it any number of times: accounts are found by email, events by
metadata["demo_key"] (benchmark events by metadata["bench_key"]) and tickets
by event and barcode hash, so a re-run, even on a later day, creates only what
is missing. Existing events, tickets and listings are left as they are (a sold
demo ticket stays sold); the documented accounts get their documented
password, name and role back, so README.md stays true.

`--scale N` adds N benchmark events with `--tickets-per-event` listed tickets
each, `--rush-listings N` one event with N listed tickets and `--buyers N`
buyer accounts, for `make bench` (marketplace/devtools/bench_seed.py).
"""

import datetime
import hashlib
import random
from collections import Counter
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import Event, PriceTier
from listings.event_copies import event_copies
from listings.models import Listing
from listings.waitlist.entries import waitlist_join
from marketplace.devtools import demo_data
from marketplace.devtools.bench_seed import BenchSeeder, listing_price
from marketplace.devtools.demo_mfa import (
    DEMO_STAFF_EMAIL,
    DEMO_STAFF_TOTP_SECRET,
    demo_staff_totp_ensure,
)
from tickets.barcodes import barcode_hash, barcode_last4
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Create the demo accounts, events, tickets and listings (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help="Also create this many benchmark events (metadata bench_key 0..N-1).",
        )
        parser.add_argument(
            "--tickets-per-event",
            type=int,
            default=10,
            help="Listed tickets per benchmark event (default 10).",
        )
        parser.add_argument(
            "--rush-listings",
            type=int,
            default=0,
            help="Also create one benchmark event with this many listed tickets.",
        )
        parser.add_argument(
            "--buyers",
            type=int,
            default=0,
            help="Also create this many benchmark buyer accounts.",
        )

    def handle(self, *args, scale=0, tickets_per_event=10, rush_listings=0, buyers=0, **options):
        if min(scale, rush_listings, buyers) < 0 or tickets_per_event < 1:
            raise CommandError(
                "--scale, --rush-listings and --buyers must be 0 or more, "
                "--tickets-per-event 1 or more."
            )
        self.created = Counter()
        self.existing = Counter()
        self.now = timezone.now()
        self.today = timezone.localdate()
        # All or nothing: a failure leaves the database as it was (files written
        # before the failure stay behind in private storage, unreferenced).
        with transaction.atomic():
            users = self.seed_accounts()
            # The admin wants staff with two-step login: the documented app secret.
            demo_staff_totp_ensure(users[DEMO_STAFF_EMAIL])
            sellers = [users[email] for email in demo_data.SELLER_EMAILS]
            organizer = users[demo_data.ORGANIZER_EMAIL]
            events = self.seed_events(organizer)
            self.seed_tiers(events)
            self.seed_tickets(events, users, sellers)
            self.seed_waitlist(events, users)
            bench = BenchSeeder(organizer=organizer, sellers=sellers)
            bench.events(scale, tickets_per_event)
            if rush_listings:
                bench.rush(rush_listings)
            bench.buyers(buyers)
        bench.analyze()
        self.created.update(bench.created)
        self.existing.update(bench.existing)
        kinds = (
            "accounts",
            "events",
            "tickets",
            "listings",
            "waiting list entries",
            "bench events",
            "bench buyers",
        )
        for kind in kinds:
            if self.created[kind] or self.existing[kind]:
                self.stdout.write(
                    f"{kind.capitalize()}: {self.created[kind]} created, "
                    f"{self.existing[kind]} existing"
                )
        if self.created["bench tickets"]:
            self.stdout.write(
                f"Bench tickets and listings: {self.created['bench tickets']} created"
            )
        self.stdout.write(
            f"Staff two-step login: authenticator app secret {DEMO_STAFF_TOTP_SECRET}, "
            f"or the current code from `python manage.py totp_code {DEMO_STAFF_EMAIL}`"
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    # --- accounts -------------------------------------------------------------

    def seed_accounts(self) -> dict[str, User]:
        users = {}
        for account in demo_data.DOCUMENTED_ACCOUNTS + demo_data.EXTRA_SELLERS:
            users[account.email] = self.seed_account(account)
        return users

    def seed_account(self, account: demo_data.DemoAccount) -> User:
        wanted = {
            "name": account.name,
            "role": account.role,
            "status": User.Status.ACTIVE,
            "email_verified": True,
            "is_active": True,
            "is_staff": account.staff,
            "is_superuser": account.staff,
        }
        user = User.objects.filter(email__iexact=account.email).first()
        if user is None:
            self.created["accounts"] += 1
            create = User.objects.create_superuser if account.staff else User.objects.create_user
            user = create(account.email, account.password, **wanted)
            # Confirmed, so the demo accounts log in on the site at once.
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            return user
        self.existing["accounts"] += 1
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        changed = [field for field, value in wanted.items() if getattr(user, field) != value]
        for field in changed:
            setattr(user, field, wanted[field])
        # Only the documented accounts are reset; check first, as hashing makes a new salt.
        if account.password and not user.check_password(account.password):
            user.set_password(account.password)
            changed.append("password")
        if changed:
            user.save(update_fields=[*changed, "updated_at"])
        return user

    # --- events ---------------------------------------------------------------

    def seed_events(self, organizer: User) -> list[tuple[demo_data.DemoEvent, Event]]:
        keys = [spec.key for spec in demo_data.EVENTS]
        found = {
            event.metadata["demo_key"]: event
            for event in Event.objects.filter(metadata__demo_key__in=keys)
        }
        events = []
        for spec in demo_data.EVENTS:
            event = found.get(spec.key)
            if event is None:
                event = self.create_event(spec, organizer)
                self.created["events"] += 1
            else:
                self.existing["events"] += 1
            events.append((spec, event))
        return events

    def create_event(self, spec: demo_data.DemoEvent, organizer: User) -> Event:
        venue = demo_data.VENUES[spec.venue]
        return Event.objects.create(
            name=spec.name,
            description=spec.description,
            event_date=self.today + datetime.timedelta(days=spec.day),
            event_time=datetime.time.fromisoformat(spec.time),
            location=venue.location,
            venue_name=venue.name,
            city=venue.city,
            country=venue.country,
            postal_code=venue.postal_code,
            latitude=Decimal(venue.latitude),
            longitude=Decimal(venue.longitude),
            organizer=organizer,
            status=spec.status,
            category=spec.category,
            metadata={"demo_key": spec.key},
            currency=venue.currency,
            time_zone=venue.time_zone,
        )

    # --- price tiers ----------------------------------------------------------

    def seed_tiers(self, events) -> None:
        """The organizer's price list of each published event (none for the
        UNTIERED_CATEGORIES): an event that has tiers already keeps them."""
        tiered = {
            event_id
            for event_id in PriceTier.objects.filter(
                event__in=[event for _, event in events]
            ).values_list("event_id", flat=True)
        }
        for spec, event in events:
            if event.pk in tiered or spec.category in demo_data.UNTIERED_CATEGORIES:
                continue
            for _, section, share in demo_data.TIERS[spec.category]:
                face_value = demo_data.tier_face_value(Decimal(spec.base_face), share)
                PriceTier.objects.create(
                    event=event,
                    name=section,
                    face_value=face_value,
                    fees=demo_data.tier_fees(face_value),
                )

    # --- tickets and listings -------------------------------------------------

    def seed_tickets(self, events, users, sellers) -> None:
        known = set(
            Ticket.objects.filter(event__in=[event for _, event in events]).values_list(
                "event_id", "barcode_hash"
            )
        )
        demo_seller = users[demo_data.DEMO_SELLER_EMAIL]
        tiers = {}
        for tier in PriceTier.objects.filter(event__in=[event for _, event in events]):
            tiers[(tier.event_id, tier.name)] = tier
        for index, (spec, event) in enumerate(events):
            for n in range(spec.listed):
                owner = sellers[(index + n) % len(sellers)]
                self.seed_ticket(spec, event, n, owner, known, tiers, listed=True)
            for n in range(spec.unlisted):
                self.seed_ticket(spec, event, n, demo_seller, known, tiers, listed=False)
            if spec.key == demo_data.REVIEW_EVENT_KEY:
                self.seed_ticket_in_review(spec, event, demo_seller, known)
        listings = Listing.objects.filter(ticket__event__in=[event for _, event in events])
        self.existing["listings"] = listings.count() - self.created["listings"]

    def seed_waitlist(self, events, users) -> None:
        """The demo buyer waits for tickets of the first event the demo seller
        holds an unlisted ticket of: when the seller lists it, it is offered to
        the buyer first (log in as both to see the offer)."""
        buyer = users[demo_data.DEMO_BUYER_EMAIL]
        for spec, event in events:
            if spec.unlisted and event.status == Event.Status.PUBLISHED:
                _, created = waitlist_join(fan=buyer, event=event, quantity=1)
                self.created["waiting list entries"] += created
                return

    def seed_ticket(self, spec, event: Event, n: int, owner: User, known, tiers, *, listed: bool):
        barcode = demo_data.demo_barcode(spec.key, n, listed=listed)
        digest = barcode_hash(barcode)
        if (event.pk, digest) in known:
            self.existing["tickets"] += 1
            return
        ticket_type, section, share = demo_data.TIERS[spec.category][
            n % len(demo_data.TIERS[spec.category])
        ]
        row, seat = demo_data.seat_for(ticket_type, n)
        tier = tiers.get((event.pk, section))
        ticket = Ticket(
            event=event,
            owner=owner,
            tier=tier,
            ticket_type=ticket_type,
            section=section,
            row=row,
            seat=seat,
            face_value=demo_data.tier_face_value(Decimal(spec.base_face), share),
            original_fees=tier.fees if tier else Decimal("0.00"),
            barcode_hash=digest,
            barcode_last4=barcode_last4(barcode),
            status=Ticket.Status.LISTED if listed else Ticket.Status.AVAILABLE,
            # Seeded as the upload service leaves a ticket whose PDF carries its
            # barcode (the QR code drawn below) and whose face value is a tier's
            # or in line with the event's: verified, ready to list.
            barcode_source=Ticket.BarcodeSource.FILE,
            verification=Ticket.Verification.VERIFIED,
        )
        self.save_with_pdf(ticket, barcode, code=barcode)
        self.created["tickets"] += 1
        if listed:
            # Seeded by the barcode: a ticket gets the same price whichever run makes it.
            rng = random.Random(barcode)
            Listing.objects.create(
                ticket=ticket,
                seller=owner,
                price=listing_price(ticket, event, mode=n % 4, rng=rng),
                status=Listing.Status.ACTIVE,
                listed_at=self.now,
                expires_at=event.starts_at,
                **event_copies(event),
            )
            self.created["listings"] += 1

    def seed_ticket_in_review(self, spec, event: Event, owner: User, known) -> None:
        """The demo seller's upload in the review queue: its PDF has no readable
        barcode, so the typed one waits for staff (Admin, Tickets to review)."""
        barcode = demo_data.review_barcode(spec.key)
        digest = barcode_hash(barcode)
        if (event.pk, digest) in known:
            self.existing["tickets"] += 1
            return
        ticket = Ticket(
            event=event,
            owner=owner,
            ticket_type=Ticket.Type.GENERAL_ADMISSION,
            face_value=Decimal(spec.base_face),
            barcode_hash=digest,
            barcode_last4=barcode_last4(barcode),
            barcode_source=Ticket.BarcodeSource.TYPED,
            status=Ticket.Status.AVAILABLE,
            verification=Ticket.Verification.PENDING_REVIEW,
            review_reasons=[Ticket.REVIEW_NO_BARCODE_IN_FILE],
        )
        self.save_with_pdf(ticket, barcode, code=None)
        self.created["tickets"] += 1

    def save_with_pdf(self, ticket: Ticket, barcode: str, *, code: str | None) -> None:
        """Save `ticket` with a PDF of it (the QR code of `code` when given) and its hash."""
        event = ticket.event
        place = ", ".join(
            p
            for p in (
                ticket.section,
                ticket.row and f"Row {ticket.row}",
                ticket.seat and f"Seat {ticket.seat}",
            )
            if p
        )
        pdf = demo_data.ticket_pdf(
            [
                event.name,
                f"{event.venue_name}, {event.city}",
                f"{event.event_date:%A %d %B %Y}"
                + (f", {event.event_time:%H:%M}" if event.event_time else ""),
                place,
                f"Face value {event.currency} {ticket.face_value}",
                f"Barcode {barcode}",
            ],
            code=code,
        )
        ticket.file_sha256 = hashlib.sha256(pdf).hexdigest()
        # upload_to needs event_id and barcode_hash, both set before.
        ticket.file.save("ticket.pdf", ContentFile(pdf), save=False)
        ticket.save()
