import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import (
    listing_cancel,
    listing_create,
    listing_update_price,
    listings_expire_due,
)
from listings.tests.factories import ListingFactory
from marketplace.core.errors import NotFound, PermissionDenied, TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    # A concert: price between 40.00 (80%) and 60.00 (+20%).
    return TicketFactory(event=EventFactory(category="concert"), face_value=Decimal("50.00"))


def test_listing_a_ticket_puts_it_on_sale_until_the_event_starts(ticket):
    listing = listing_create(seller=ticket.owner, ticket=ticket, price="60.00")

    assert (listing.status, listing.price) == (Listing.Status.ACTIVE, Decimal("60.00"))
    assert listing.expires_at == ticket.event.starts_at
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.LISTED
    assert set(AuditLog.objects.values_list("action", flat=True)) == {
        "listing.created",
        "ticket.listed",
    }


@pytest.mark.parametrize(
    ("price", "reason", "limit_key", "limit"),
    [
        ("60.01", "PRICE_EXCEEDS_MAX_MARKUP", "maxAllowed", "60.00"),
        ("39.99", "PRICE_BELOW_MINIMUM", "minAllowed", "40.00"),
        ("-5", "PRICE_BELOW_MINIMUM", "minAllowed", "40.00"),
        ("abc", "INVALID_NUMBER", None, None),
        ("50.001", "INVALID_AMOUNT", None, None),
    ],
)
def test_prices_outside_the_caps_are_refused_and_nothing_changes(
    ticket, price, reason, limit_key, limit, db_snapshot
):
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        listing_create(seller=ticket.owner, ticket=ticket, price=price)

    assert exc.value.code == "VALIDATION_ERROR"
    assert exc.value.details["field"] == "price"
    assert exc.value.details["reason"] == reason
    if limit_key:
        assert exc.value.details[limit_key] == limit
    assert db_snapshot() == before


def test_country_caps_apply(settings):
    settings.PRICE_MARKUP_CAPS_BY_COUNTRY = {"IE": {"*": "0"}}
    ticket = TicketFactory(event=EventFactory(country="IE"), face_value=Decimal("50.00"))

    with pytest.raises(ValidationFailed) as exc:
        listing_create(seller=ticket.owner, ticket=ticket, price="50.01")

    assert exc.value.details["maxAllowed"] == "50.00"


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("someone else's ticket", NotFound),
        ("suspended seller", PermissionDenied),
        ("draft event", ValidationFailed),
        ("cancelled event", ValidationFailed),
        ("started event", ValidationFailed),
        ("already listed", TicketNotAvailable),
        ("in escrow", TicketNotAvailable),
        ("void", TicketNotAvailable),
        ("expiry after the event", ValidationFailed),
        ("expiry in the past", ValidationFailed),
    ],
)
def test_refused_listings_change_nothing(ticket, case, error, db_snapshot):
    seller, kwargs = ticket.owner, {}
    event = ticket.event
    if case == "someone else's ticket":
        seller = UserFactory()
    elif case == "suspended seller":
        User.objects.filter(pk=seller.pk).update(status="suspended")
        seller.refresh_from_db()
    elif case in ("draft event", "cancelled event"):
        event.status = case.split()[0]
        event.save()
    elif case == "started event":
        start = timezone.localtime() - datetime.timedelta(hours=1)
        event.event_date, event.event_time = start.date(), start.time()
        event.save()
    elif case == "already listed":
        listing_create(seller=seller, ticket=ticket, price="50.00")
    elif case in ("in escrow", "void"):
        Ticket.objects.filter(pk=ticket.pk).update(status="sold" if case == "in escrow" else "void")
    elif case == "expiry after the event":
        kwargs["expires_at"] = event.starts_at + datetime.timedelta(minutes=1)
    elif case == "expiry in the past":
        kwargs["expires_at"] = timezone.now() - datetime.timedelta(minutes=1)
    ticket.refresh_from_db()
    before = db_snapshot()

    with pytest.raises(error):
        listing_create(seller=seller, ticket=ticket, price="50.00", **kwargs)

    assert db_snapshot() == before


def test_price_change_is_checked_against_the_caps(ticket, db_snapshot):
    listing = listing_create(seller=ticket.owner, ticket=ticket, price="50.00")
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        listing_update_price(seller=ticket.owner, listing=listing, price="60.50")

    assert exc.value.details["reason"] == "PRICE_EXCEEDS_MAX_MARKUP"
    assert db_snapshot() == before

    changed = listing_update_price(seller=ticket.owner, listing=listing, price="58.00")
    assert changed.price == Decimal("58.00")
    audit = AuditLog.objects.get(action="listing.price_changed")
    assert audit.changes == {"price": {"from": "50.00", "to": "58.00"}}


def test_price_of_a_reserved_listing_cannot_change(db_snapshot):
    listing = ListingFactory(status=Listing.Status.PENDING)
    stranger = UserFactory()
    before = db_snapshot()

    with pytest.raises(TicketNotAvailable):
        listing_update_price(seller=listing.seller, listing=listing, price="50.00")
    with pytest.raises(NotFound):
        listing_update_price(seller=stranger, listing=listing, price="50.00")

    assert db_snapshot() == before


def test_seller_or_staff_cancel_an_active_listing(ticket):
    listing = listing_create(seller=ticket.owner, ticket=ticket, price="50.00")

    listing_cancel(actor=ticket.owner, listing=listing)

    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.CANCELLED
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.AVAILABLE
    # The ticket can be listed again.
    again = listing_create(seller=ticket.owner, ticket=ticket, price="45.00")
    listing_cancel(actor=StaffFactory(), listing=again)
    assert Listing.objects.get(pk=again.pk).status == Listing.Status.CANCELLED


def test_cancel_refused_for_others_and_for_reserved_listings(db_snapshot):
    reserved = ListingFactory(status=Listing.Status.PENDING)
    stranger = UserFactory()
    before = db_snapshot()

    with pytest.raises(NotFound):
        listing_cancel(actor=stranger, listing=reserved)
    with pytest.raises(TicketNotAvailable):
        listing_cancel(actor=reserved.seller, listing=reserved)

    assert db_snapshot() == before


def test_the_expiry_job_closes_listings_whose_time_is_up(django_capture_on_commit_callbacks):
    due = ListingFactory()
    Listing.objects.filter(pk=due.pk).update(
        listed_at=timezone.now() - datetime.timedelta(days=2),
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    running = ListingFactory()

    with django_capture_on_commit_callbacks(execute=True):
        assert listings_expire_due() == 1

    assert Listing.objects.get(pk=due.pk).status == Listing.Status.EXPIRED
    assert Ticket.objects.get(pk=due.ticket_id).status == Ticket.Status.AVAILABLE
    assert Listing.objects.get(pk=running.pk).status == Listing.Status.ACTIVE
    assert due.seller.notifications.filter(type="listing_expired").count() == 1
    assert listings_expire_due() == 0
