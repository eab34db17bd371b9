"""`manage.py seed_demo`: the documented demo data, idempotent, and its benchmark mode."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from accounts.traders import trader_declaration_save
from events.models import Event, PriceTier
from listings.models import Listing, WaitlistEntry, WaitlistOffer
from listings.pricing import price_limits
from listings.services import listing_create
from marketplace.core.storage import private_storage
from marketplace.devtools.bench_seed import BUYER_PASSWORD
from tickets.barcodes import barcode_hash
from tickets.evidence import evidence_read
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "buyer@encore.test": ("encore-buyer-2026", "Bea Buyer", User.Role.USER),
    "seller@encore.test": ("encore-seller-2026", "Sam Seller", User.Role.USER),
    "organizer@encore.test": ("encore-organizer-2026", "Olive Organizer", User.Role.ORGANIZER),
    "staff@encore.test": ("encore-staff-2026", "Stella Staff", User.Role.ADMIN),
}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Row counts of every model, and every listing with its price."""
    counts = {model._meta.label: model.objects.count() for model in apps.get_models()}
    listings = set(Listing.objects.values_list("id", "ticket_id", "price", "status"))
    return counts, listings


def assert_within_caps(listing):
    ticket, event = listing.ticket, listing.ticket.event
    limits = price_limits(
        face_value=ticket.face_value, category=event.category, country=event.country
    )
    assert limits.min_price <= listing.price <= limits.max_price, (listing.pk, listing.price)


def test_first_run_creates_the_documented_accounts():
    seed()

    for email, (password, name, role) in DOCUMENTED.items():
        user = authenticate(username=email, password=password)
        assert user is not None, email
        assert (user.email, user.name, user.role) == (email, name, role)
        assert user.email_verified
        assert user.status == User.Status.ACTIVE
        assert user.is_staff is user.is_superuser is (email == "staff@encore.test")


def test_extra_sellers_cannot_log_in():
    seed()

    extras = User.objects.filter(
        email__startswith="seller", email__endswith="@encore.test"
    ).exclude(email="seller@encore.test")
    assert extras.count() >= 2
    assert not any(user.has_usable_password() for user in extras)


def test_first_run_publishes_upcoming_events_in_every_category():
    seed()

    today = timezone.localdate()
    upcoming = Event.objects.filter(status=Event.Status.PUBLISHED, event_date__gte=today)
    assert upcoming.count() >= 20
    assert {"concert", "sports", "theater", "festival"} <= set(
        upcoming.values_list("category", flat=True)
    )
    assert upcoming.values("city").distinct().count() >= 6
    assert set(upcoming.filter(country="GB").values_list("currency", flat=True)) == {"GBP"}
    assert set(upcoming.exclude(country="GB").values_list("currency", flat=True)) == {"EUR"}
    organizer = User.objects.get(email="organizer@encore.test")
    assert not upcoming.exclude(organizer=organizer).exists()


def test_first_run_includes_a_draft_and_a_past_event_without_listings():
    seed()

    hidden = Event.objects.filter(metadata__has_key="demo_key").exclude(
        status=Event.Status.PUBLISHED
    )
    assert set(hidden.values_list("status", flat=True)) == {
        Event.Status.DRAFT,
        Event.Status.COMPLETED,
    }
    assert hidden.get(status=Event.Status.COMPLETED).event_date < timezone.localdate()
    assert not Listing.objects.filter(ticket__event__in=hidden).exists()


def test_active_listings_are_priced_within_the_caps():
    seed()

    listings = Listing.objects.filter(status=Listing.Status.ACTIVE).select_related("ticket__event")
    assert listings.count() >= 100
    prices_at_face = prices_at_cap = prices_below = 0
    for listing in listings:
        ticket, event = listing.ticket, listing.ticket.event
        assert_within_caps(listing)
        assert listing.seller_id == ticket.owner_id
        assert ticket.status == Ticket.Status.LISTED
        assert event.status == Event.Status.PUBLISHED
        assert listing.expires_at == event.starts_at
        limits = price_limits(
            face_value=ticket.face_value, category=event.category, country=event.country
        )
        prices_at_face += listing.price == ticket.face_value
        prices_at_cap += listing.price == limits.max_price
        prices_below += listing.price < ticket.face_value
    assert prices_at_face and prices_at_cap and prices_below
    assert listings.values("seller").distinct().count() >= 3


def test_every_listed_ticket_has_a_pdf_in_private_storage():
    seed()

    tickets = Ticket.objects.filter(status=Ticket.Status.LISTED).select_related("event")
    assert tickets.count() >= 100
    storage = private_storage()
    for ticket in tickets:
        assert ticket.file.storage is storage
        with storage.open(ticket.file.name) as fh:
            content = fh.read()
        assert content.startswith(b"%PDF"), ticket.file.name
        assert ticket.event.name.encode("latin-1") in content


def test_demo_seller_keeps_a_few_tickets_to_sell():
    seed()

    unlisted = Ticket.objects.filter(
        owner__email="seller@encore.test", status=Ticket.Status.AVAILABLE
    )
    assert unlisted.count() >= 2
    assert not Listing.objects.filter(ticket__in=unlisted).exists()


def test_tickets_are_found_again_by_their_deterministic_barcode():
    seed()

    event = Event.objects.get(metadata__demo_key="dub-lighthouse-keepers")
    digest = barcode_hash("DEMO-dub-lighthouse-keepers-L000")
    assert Ticket.objects.filter(event=event, barcode_hash=digest).count() == 1


def test_second_run_changes_nothing():
    seed()
    before = snapshot()

    out = seed()

    assert snapshot() == before
    assert "0 created" in out


def test_second_run_resets_a_changed_demo_password_without_duplicating():
    seed()
    buyer = User.objects.get(email="buyer@encore.test")
    buyer.set_password("something-else")
    buyer.name = "Renamed"
    buyer.save()

    seed()

    assert User.objects.filter(email__iexact="buyer@encore.test").count() == 1
    user = authenticate(username="buyer@encore.test", password="encore-buyer-2026")
    assert user is not None and user.pk == buyer.pk
    assert user.name == "Bea Buyer"


def test_scale_adds_benchmark_events_once():
    seed()
    events, listings = Event.objects.count(), Listing.objects.count()

    seed("--scale", "5", "--tickets-per-event", "3")

    assert Event.objects.count() == events + 5
    assert Listing.objects.count() == listings + 15
    bench = Event.objects.filter(metadata__has_key="bench_key")
    assert sorted(bench.values_list("metadata__bench_key", flat=True)) == [0, 1, 2, 3, 4]
    assert set(bench.values_list("status", flat=True)) == {Event.Status.PUBLISHED}
    assert bench.filter(event_date__gt=timezone.localdate()).count() == 5
    before = snapshot()

    seed("--scale", "5", "--tickets-per-event", "3")

    assert snapshot() == before


def test_scale_grows_only_by_the_missing_benchmark_keys():
    seed("--scale", "2", "--tickets-per-event", "2")
    events = Event.objects.count()

    seed("--scale", "4", "--tickets-per-event", "2")

    assert Event.objects.count() == events + 2


def test_benchmark_listings_are_within_caps_and_share_one_pdf():
    seed("--scale", "5", "--tickets-per-event", "3")

    listings = Listing.objects.filter(ticket__event__metadata__has_key="bench_key").select_related(
        "ticket__event"
    )
    assert listings.count() == 15
    for listing in listings:
        assert_within_caps(listing)
        assert listing.status == Listing.Status.ACTIVE
        assert listing.seller_id == listing.ticket.owner_id
        assert listing.expires_at == listing.ticket.event.starts_at
    names = {listing.ticket.file.name for listing in listings}
    assert len(names) == 1
    with private_storage().open(names.pop()) as fh:
        assert fh.read().startswith(b"%PDF")
    for event in Event.objects.filter(metadata__has_key="bench_key"):
        hashes = list(event.tickets.values_list("barcode_hash", flat=True))
        assert len(hashes) == len(set(hashes)) == 3


def test_rush_listings_make_one_event_with_that_many_tickets_on_sale_once():
    seed("--rush-listings", "30")

    rush = Event.objects.get(metadata__bench_key="rush")
    listings = Listing.objects.filter(ticket__event=rush).select_related("ticket__event")
    assert listings.count() == 30
    assert {listing.status for listing in listings} == {Listing.Status.ACTIVE}
    for listing in listings:
        assert_within_caps(listing)
    before = snapshot()

    seed("--rush-listings", "30")

    assert snapshot() == before


def test_bench_buyers_are_verified_accounts_that_log_in_and_are_made_once():
    seed("--buyers", "3")

    buyers = User.objects.filter(email__startswith="bench-buyer-")
    assert sorted(buyers.values_list("email", flat=True)) == [
        "bench-buyer-0@encore.localhost",
        "bench-buyer-1@encore.localhost",
        "bench-buyer-2@encore.localhost",
    ]
    assert {(b.status, b.email_verified) for b in buyers} == {(User.Status.ACTIVE, True)}
    assert authenticate(email="bench-buyer-1@encore.localhost", password=BUYER_PASSWORD)

    seed("--buyers", "5")

    assert User.objects.filter(email__startswith="bench-buyer-").count() == 5


@pytest.mark.parametrize("option", ["--rush-listings", "--buyers", "--scale"])
def test_negative_bench_sizes_are_refused(option):
    with pytest.raises(CommandError, match="must be 0 or more"):
        seed(option, "-1")


def test_demo_ticket_pdfs_carry_their_barcode_as_a_real_qr_code():
    seed()

    # A few of them: each decode starts a process (tickets.evidence).
    for ticket in Ticket.objects.filter(status=Ticket.Status.LISTED).order_by("pk")[:3]:
        with private_storage().open(ticket.file.name) as fh:
            content = fh.read()
        evidence = evidence_read(content, kind="pdf")
        assert barcode_hash(evidence.code) == ticket.barcode_hash
        assert evidence.sha256 == ticket.file_sha256
        assert ticket.verification == Ticket.Verification.VERIFIED


def test_demo_events_have_price_tiers_and_their_tickets_take_them():
    seed()

    concert = Event.objects.get(metadata__demo_key="dub-lighthouse-keepers")
    tiers = {tier.name: tier for tier in concert.price_tiers.all()}
    assert set(tiers) == {"Standing", "Lower Tier 104", "Upper Tier 312"}
    for ticket in concert.tickets.all():
        tier = tiers[ticket.section]
        assert (ticket.tier, ticket.face_value, ticket.original_fees) == (
            tier,
            tier.face_value,
            tier.fees,
        )
    # The "other" events keep typed face values: the path staff review compares.
    untiered = Event.objects.filter(metadata__has_key="demo_key", category="other")
    assert untiered.exists()
    assert not PriceTier.objects.filter(event__in=untiered).exists()


def test_one_demo_upload_waits_in_the_staff_review_queue():
    seed()

    waiting = Ticket.objects.get(verification=Ticket.Verification.PENDING_REVIEW)
    assert waiting.owner.email == "seller@encore.test"
    assert waiting.review_reasons == [Ticket.REVIEW_NO_BARCODE_IN_FILE]
    with private_storage().open(waiting.file.name) as fh:
        assert evidence_read(fh.read(), kind="pdf").code is None


@pytest.mark.django_db(transaction=True)
def test_the_demo_buyer_waits_for_the_ticket_the_demo_seller_has_not_listed_yet():
    seed()
    buyer = User.objects.get(email="buyer@encore.test")
    seller = User.objects.get(email="seller@encore.test")
    entry = WaitlistEntry.objects.get(fan=buyer)
    unlisted = Ticket.objects.filter(
        owner=seller, event=entry.event, status=Ticket.Status.AVAILABLE
    ).first()
    # The demo seller lists many tickets: past the trader threshold, they say
    # they sell privately first (as the sell page asks them to).
    trader_declaration_save(user=seller, kind="private")

    listing = listing_create(seller=seller, ticket=unlisted, price=unlisted.face_value)

    offer = WaitlistOffer.objects.get(listing=listing)
    assert (offer.state, offer.entry) == (WaitlistOffer.State.OPEN, entry)
