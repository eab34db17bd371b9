import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import OrganizerFactory, UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.selectors import SEARCH_ORDERINGS, listing_get_visible, listing_search
from listings.tests.factories import ListingFactory, listing_of_new_event
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.testing import in_days

pytestmark = pytest.mark.django_db


# listing_search


def test_search_shows_only_active_listings_of_published_upcoming_events():
    shown = [listing_of_new_event(), listing_of_new_event(event_date=in_days(0))]
    event = EventFactory()
    for status in ("pending", "sold", "cancelled", "expired"):
        ListingFactory(ticket__event=event, status=status)
    for status in ("draft", "cancelled", "completed"):
        listing_of_new_event(status=status)
    listing_of_new_event(event_date=in_days(-1))

    assert set(listing_search()) == set(shown)


def test_search_leaves_out_a_listing_past_its_expiry_that_the_job_has_not_expired_yet():
    kept = listing_of_new_event()
    now = timezone.now()
    ListingFactory(
        listed_at=now - datetime.timedelta(days=2), expires_at=now - datetime.timedelta(minutes=1)
    )

    assert list(listing_search()) == [kept]


def test_search_filters_by_event():
    event = EventFactory()
    mine = ListingFactory(ticket__event=event)
    listing_of_new_event()

    assert list(listing_search(event_id=event.pk)) == [mine]
    assert list(listing_search(event_id=str(event.pk))) == [mine]


def test_search_filters_by_category_exactly():
    match = listing_of_new_event(category="sports")
    listing_of_new_event(category="concert")

    assert list(listing_search(category="sports")) == [match]
    assert list(listing_search(category="sport")) == []


def test_search_filters_by_whole_city_ignoring_case():
    cork = listing_of_new_event(city="Cork")
    listing_of_new_event(city="Dublin")

    assert list(listing_search(city="CORK")) == [cork]
    assert list(listing_search(city="Cor")) == []


def test_search_filters_by_event_date_range_inclusive():
    soon = listing_of_new_event(event_date=in_days(2))
    mid = listing_of_new_event(event_date=in_days(10))
    far = listing_of_new_event(event_date=in_days(40))

    assert list(listing_search(date_from=in_days(10), ordering="date")) == [mid, far]
    assert list(listing_search(date_to=in_days(10), ordering="date")) == [soon, mid]
    assert list(listing_search(date_from=in_days(2), date_to=in_days(2))) == [soon]


def test_search_filters_by_price_bounds_inclusive():
    low = listing_of_new_event(price="45.00")
    mid = listing_of_new_event(price="50.00")
    high = listing_of_new_event(price="58.00")

    assert list(listing_search(min_price=Decimal("50.00"))) == [mid, high]
    assert list(listing_search(max_price=Decimal("50.00"))) == [low, mid]
    assert list(listing_search(min_price=Decimal("45.01"), max_price=Decimal("57.99"))) == [mid]
    assert list(listing_search(min_price="58")) == [high]


def test_search_filters_combine():
    hit = listing_of_new_event(price="50.00", category="sports", city="Cork")
    listing_of_new_event(price="59.00", category="sports", city="Cork")
    listing_of_new_event(price="50.00", category="concert", city="Cork")
    listing_of_new_event(price="50.00", category="sports", city="Dublin")

    found = listing_search(category="sports", city="cork", max_price=Decimal("55"))

    assert list(found) == [hit]


def test_search_empty_filters_do_not_filter():
    listing_of_new_event()
    listing_of_new_event()

    assert listing_search(event_id=None, category="", city="", min_price=None).count() == 2


def test_search_orders_by_price_or_date_with_id_breaking_ties():
    event_date, later_date = in_days(5), in_days(9)
    cheap_late = listing_of_new_event(price="45.00", event_date=later_date)
    dear_soon = listing_of_new_event(
        price="58.00", event_date=event_date, event_time=datetime.time(18)
    )
    twin = ListingFactory(ticket__event=dear_soon.ticket.event, price=Decimal("58.00"))
    soon_later_time = listing_of_new_event(
        price="50.00", event_date=event_date, event_time=datetime.time(21)
    )

    assert list(listing_search(ordering="price")) == [cheap_late, soon_later_time, dear_soon, twin]
    assert list(listing_search(ordering="-price")) == [dear_soon, twin, soon_later_time, cheap_late]
    assert list(listing_search(ordering="date")) == [dear_soon, twin, soon_later_time, cheap_late]
    assert list(listing_search(ordering="-date")) == [cheap_late, soon_later_time, dear_soon, twin]


def test_search_is_ordered_by_price_by_default():
    dear = listing_of_new_event(price="58.00")
    cheap = listing_of_new_event(price="45.00")

    assert list(listing_search()) == [cheap, dear]


@pytest.mark.parametrize("ordering", ["", "created_at", "PRICE", "-id", None])
def test_an_unknown_ordering_is_refused(ordering):
    with pytest.raises(ValidationFailed) as exc:
        listing_search(ordering=ordering)

    assert exc.value.details == {
        "field": "ordering",
        "reason": "INVALID_CHOICE",
        "choices": ["price", "-price", "date", "-date"],
    }
    assert list(SEARCH_ORDERINGS) == exc.value.details["choices"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"min_price": "cheap"}, "min_price"),
        ({"max_price": 50.0}, "max_price"),
        ({"event_id": "abc"}, "event_id"),
        ({"event_id": -4}, "event_id"),
    ],
)
def test_a_filter_that_is_not_a_number_is_refused(filters, field):
    with pytest.raises(ValidationFailed) as exc:
        listing_search(**filters)

    assert (exc.value.details["field"], exc.value.details["reason"]) == (field, "INVALID_NUMBER")


@pytest.mark.parametrize("listing_count", [2, 20])
def test_a_page_of_results_with_ticket_event_and_seller_costs_one_query(
    django_assert_num_queries, listing_count
):
    for _ in range(listing_count):
        listing_of_new_event()

    with django_assert_num_queries(1):
        rows = [
            (listing.price, listing.ticket.section, listing.ticket.event.name, listing.seller.name)
            for listing in listing_search()
        ]

    assert len(rows) == listing_count


# listing_get_visible


def _viewer(name, listing):
    return {
        "anonymous": AnonymousUser,
        "other-user": UserFactory,
        "event-organizer": lambda: listing.ticket.event.organizer,
        "other-organizer": OrganizerFactory,
        "admin": lambda: UserFactory(role=User.Role.ADMIN),
        "seller": lambda: listing.seller,
        "staff": lambda: UserFactory(is_staff=True),
    }[name]()


VIEWERS = [
    "anonymous",
    "other-user",
    "event-organizer",
    "other-organizer",
    "admin",
    "seller",
    "staff",
]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_an_active_listing_is_visible_to_anyone(viewer):
    listing = listing_of_new_event()

    found = listing_get_visible(user=_viewer(viewer, listing), listing_id=listing.pk)

    assert found == listing


@pytest.mark.parametrize("status", ["pending", "sold", "cancelled", "expired"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_listing_off_sale_is_visible_only_to_its_seller_and_staff(viewer, status):
    listing = ListingFactory(status=status)
    user = _viewer(viewer, listing)

    if viewer in ("seller", "staff"):
        assert listing_get_visible(user=user, listing_id=listing.pk) == listing
    else:
        with pytest.raises(NotFound, match="Listing not found."):
            listing_get_visible(user=user, listing_id=listing.pk)


def test_a_visible_listing_comes_with_its_ticket_event_and_seller(django_assert_num_queries):
    listing = listing_of_new_event()

    with django_assert_num_queries(1):
        found = listing_get_visible(user=AnonymousUser(), listing_id=str(listing.pk))
        assert (found.ticket.event.name, found.seller.email) == (
            listing.ticket.event.name,
            listing.seller.email,
        )


@pytest.mark.parametrize("listing_id", ["abc", "", None, 2.0, True, -1, 0, 2**70])
def test_an_id_that_is_not_an_integer_is_not_found(listing_id):
    listing_of_new_event()

    with pytest.raises(NotFound):
        listing_get_visible(user=UserFactory(is_staff=True), listing_id=listing_id)


def test_a_missing_listing_is_not_found():
    listing = listing_of_new_event()
    Listing.objects.filter(pk=listing.pk).update(status="sold")

    with pytest.raises(NotFound):
        listing_get_visible(user=UserFactory(is_staff=True), listing_id=listing.pk + 1000)
