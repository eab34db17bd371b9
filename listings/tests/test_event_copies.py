"""A listing's copy of its event's search fields is written with the listing and
follows every change of the event made through its service, in the same
transaction: the search never shows a listing under an event's old city, date,
category, country or status."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from events.models import Event
from events.services import event_update
from events.tests.factories import EventFactory
from listings.event_copies import event_copies
from listings.models import Listing
from listings.selectors import listing_search
from listings.services import listing_cancel, listing_create
from listings.tests.factories import ListingFactory
from marketplace.core.errors import ValidationFailed
from marketplace.testing import in_days
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

COPIED = (
    "event_id",
    "event_status",
    "event_category",
    "event_country",
    "event_city",
    "event_date",
    "event_starts_at",
)


def _copy(listing: Listing) -> dict:
    listing = Listing.objects.get(pk=listing.pk)
    return {name: getattr(listing, name) for name in COPIED}


def _event_now(event: Event) -> dict:
    event = Event.objects.get(pk=event.pk)
    return {
        "event_id": event.pk,
        "event_status": event.status,
        "event_category": event.category,
        "event_country": event.country,
        "event_city": event.city,
        "event_date": event.event_date,
        "event_starts_at": event.starts_at,
    }


@pytest.fixture
def event():
    return EventFactory(
        city="Dublin", country="IE", category="concert", event_time=datetime.time(20, 0)
    )


@pytest.fixture
def listing(event):
    ticket = TicketFactory(event=event, face_value=Decimal("50.00"))
    return listing_create(seller=ticket.owner, ticket=ticket, price="55.00")


def test_a_new_listing_copies_its_event(listing, event):
    assert _copy(listing) == _event_now(event)
    assert _copy(listing)["event_starts_at"] == event.starts_at


def test_event_copies_match_what_the_factory_and_seeders_write(event):
    made = ListingFactory(ticket__event=event)
    expected = event_copies(event)
    expected["event_id"] = expected.pop("event").pk

    assert _copy(made) == expected == _event_now(event)


@pytest.mark.parametrize(
    "change",
    [
        {"city": "Cork"},
        {"event_date": in_days(45)},
        {"event_time": datetime.time(18, 30)},
        {"event_time": None},
        {"time_zone": "Europe/London"},
        {"status": Event.Status.CANCELLED},
        {"status": Event.Status.COMPLETED},
    ],
    ids=lambda change: next(iter(change)) + "=" + str(next(iter(change.values()))),
)
def test_the_listing_follows_the_event_changed_through_its_service(listing, event, change):
    event_update(actor=event.organizer, event=event, **change)

    assert _copy(listing) == _event_now(event)


def test_category_and_country_follow_too_on_listings_no_longer_on_sale(listing, event):
    # The category and country may change only with no tickets on sale.
    listing_cancel(actor=listing.seller, listing=listing)

    event_update(actor=event.organizer, event=event, category="sports", country="GB")

    assert _copy(listing) == _event_now(event)
    assert (_copy(listing)["event_category"], _copy(listing)["event_country"]) == ("sports", "GB")


def test_unpublishing_to_draft_and_back_follows(event):
    draft = EventFactory(status=Event.Status.DRAFT, organizer=event.organizer)
    ListingFactory(ticket__event=draft)  # as a seeder would make it, before publication

    event_update(actor=draft.organizer, event=draft, status=Event.Status.PUBLISHED)

    assert Listing.objects.get(event=draft).event_status == Event.Status.PUBLISHED


def test_a_refused_change_leaves_the_copies_as_they_were(listing, event):
    before = _copy(listing)

    with pytest.raises(ValidationFailed):
        # Refused: the category cannot change while tickets are on sale.
        event_update(actor=event.organizer, event=event, city="Cork", category="sports")

    assert _copy(listing) == before


def test_the_copies_change_in_the_events_transaction(listing, event):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_update(actor=event.organizer, event=event, city="Galway")
        assert _copy(listing)["event_city"] == "Galway"
        raise RuntimeError("rolled back")

    assert _copy(listing)["event_city"] == "Dublin"


def test_other_events_listings_are_left_alone(listing, event):
    other = ListingFactory(ticket__event=EventFactory(city="Dublin"))
    before = _copy(other)

    event_update(actor=event.organizer, event=event, city="Cork")

    assert _copy(other) == before


# --- the search follows ------------------------------------------------------------


def _found(**filters) -> list[int]:
    return list(listing_search(**filters).values_list("pk", flat=True))


def test_search_by_city_follows_the_event(listing, event):
    assert _found(city="dublin") == [listing.pk]

    event_update(actor=event.organizer, event=event, city="Cork")

    assert _found(city="Dublin") == []
    assert _found(city="CORK") == [listing.pk]


def test_search_by_date_follows_the_event(listing, event):
    new_date = in_days(90)

    event_update(actor=event.organizer, event=event, event_date=new_date)

    assert _found(date_to=in_days(60)) == []
    assert _found(date_from=new_date, date_to=new_date) == [listing.pk]


def test_a_cancelled_event_leaves_the_search_at_once(listing, event):
    assert _found() == [listing.pk]

    event_update(actor=event.organizer, event=event, status=Event.Status.CANCELLED)

    assert _found() == []


def test_search_by_category_and_country_reads_the_copies(event):
    concert = ListingFactory(ticket__event=event)
    match = ListingFactory(ticket__event=EventFactory(category="sports", country="GB"))

    assert _found(category="sports") == [match.pk]
    assert _found(country="gb") == [match.pk]
    assert _found(category="concert", country="IE") == [concert.pk]


def test_within_a_day_events_go_by_their_start():
    day = in_days(20)
    late = ListingFactory(
        ticket__event=EventFactory(event_date=day, event_time=datetime.time(21, 0)),
        price=Decimal("50.00"),
    )
    early = ListingFactory(
        ticket__event=EventFactory(event_date=day, event_time=datetime.time(12, 0)),
        price=Decimal("50.00"),
    )
    later_day = ListingFactory(
        ticket__event=EventFactory(event_date=in_days(21), event_time=datetime.time(9, 0)),
        price=Decimal("45.00"),
    )

    assert _found(ordering="date") == [early.pk, late.pk, later_day.pk]
    assert _found(ordering="-date") == [later_day.pk, late.pk, early.pk]
    assert _found(ordering="price") == [later_day.pk, early.pk, late.pk]
