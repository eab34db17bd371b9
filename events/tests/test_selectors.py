import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.selectors import event_can_edit, event_get_visible, event_list_upcoming, event_search
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.errors import NotFound
from marketplace.testing import in_days

pytestmark = pytest.mark.django_db


def _names(events):
    return [event.name for event in events]


# event_search


def test_search_shows_only_published_events_from_today_on():
    EventFactory(name="Today", event_date=in_days(0))
    EventFactory(name="Later", event_date=in_days(10))
    EventFactory(name="Yesterday", event_date=in_days(-1))
    for status in ("draft", "cancelled", "completed"):
        EventFactory(name=status, status=status)

    assert _names(event_search()) == ["Today", "Later"]


def test_search_orders_by_date_then_time_then_id():
    late = EventFactory(name="Late", event_date=in_days(5), event_time=datetime.time(21, 0))
    early = EventFactory(name="Early", event_date=in_days(5), event_time=datetime.time(18, 0))
    twin = EventFactory(name="Twin", event_date=in_days(5), event_time=datetime.time(18, 0))
    first = EventFactory(name="First", event_date=in_days(1), event_time=datetime.time(23, 0))

    assert list(event_search()) == [first, early, twin, late]


def test_search_counts_active_listings_and_their_lowest_price_like_the_home_page():
    event = EventFactory()
    ListingFactory(ticket__event=event, price=Decimal("48.00"))
    ListingFactory(ticket__event=event, price=Decimal("42.50"))
    ListingFactory(ticket__event=event, price=Decimal("30.00"), status=Listing.Status.SOLD)
    ListingFactory(ticket__event=event, price=Decimal("31.00"), status=Listing.Status.PENDING)
    EventFactory()

    found = {e.pk: (e.listing_count, e.lowest_price) for e in event_search()}
    upcoming = {e.pk: (e.listing_count, e.lowest_price) for e in event_list_upcoming()}

    assert found[event.pk] == (2, Decimal("42.50"))
    assert sorted(found.values(), key=repr) == sorted([(2, Decimal("42.50")), (0, None)], key=repr)
    assert found == upcoming


@pytest.mark.parametrize("q", ["ROCK", "arena", "galway", "  rock  "])
def test_search_text_matches_name_venue_or_city_ignoring_case(q):
    EventFactory(name="Rock Night", venue_name="Somewhere", city="Cork")
    EventFactory(name="Jazz", venue_name="The Big Arena", city="Cork")
    EventFactory(name="Folk", venue_name="Hall", city="Galway")
    EventFactory(name="Opera", venue_name="Hall", city="Cork", description="rock arena galway")

    expected = {"rock": ["Rock Night"], "arena": ["Jazz"], "galway": ["Folk"]}
    assert _names(event_search(q=q)) == expected[q.strip().lower()]


def test_search_city_and_country_match_whole_values_ignoring_case():
    EventFactory(name="Dublin", city="Dublin", country="IE")
    EventFactory(name="London", city="London", country="GB")

    assert _names(event_search(city="dublin")) == ["Dublin"]
    assert _names(event_search(city="Dub")) == []
    assert _names(event_search(country="gb")) == ["London"]
    assert _names(event_search(country="G")) == []


def test_search_category_filters_exactly():
    EventFactory(name="Match", category="sports")
    EventFactory(name="Gig", category="concert")

    assert _names(event_search(category="sports")) == ["Match"]
    assert _names(event_search(category="sport")) == []


def test_search_date_range_is_inclusive_and_date_from_can_reach_back():
    EventFactory(name="Past", event_date=in_days(-3))
    EventFactory(name="Soon", event_date=in_days(2))
    EventFactory(name="Far", event_date=in_days(40))

    assert _names(event_search(date_to=in_days(2))) == ["Soon"]
    assert _names(event_search(date_from=in_days(3))) == ["Far"]
    assert _names(event_search(date_from=in_days(-3), date_to=in_days(2))) == ["Past", "Soon"]


def test_search_filters_combine():
    EventFactory(name="Hit", category="sports", city="Cork", event_date=in_days(3))
    EventFactory(name="Wrong city", category="sports", city="Dublin", event_date=in_days(3))
    EventFactory(name="Wrong category", category="concert", city="Cork", event_date=in_days(3))
    EventFactory(name="Too late", category="sports", city="Cork", event_date=in_days(30))

    found = event_search(category="sports", city="cork", country="ie", date_to=in_days(10))

    assert _names(found) == ["Hit"]


def test_search_empty_filters_do_not_filter():
    EventFactory.create_batch(3)

    assert event_search(q="", category="", city="", country="").count() == 3


@pytest.mark.parametrize("event_count", [2, 20])
def test_search_with_organizers_and_listing_summary_costs_one_query(
    django_assert_num_queries, event_count
):
    for event in EventFactory.create_batch(event_count):
        ListingFactory(ticket__event=event)

    with django_assert_num_queries(1):
        rows = [(e.organizer.name, e.listing_count, e.lowest_price) for e in event_search()]

    assert len(rows) == event_count


# event_get_visible


@pytest.mark.parametrize("status", ["published", "cancelled", "completed"])
def test_public_events_are_visible_to_anyone(status):
    event = EventFactory(status=status)

    assert event_get_visible(user=AnonymousUser(), event_id=event.pk) == event
    assert event_get_visible(user=UserFactory(), event_id=str(event.pk)) == event


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("anonymous", False),
        ("other-user", False),
        ("other-organizer", False),
        ("owner", True),
        ("admin", True),
        ("staff", True),
    ],
)
def test_a_draft_is_visible_only_to_its_organizer_admins_and_staff(viewer, visible):
    event = EventFactory(status="draft")
    user = {
        "anonymous": AnonymousUser,
        "other-user": UserFactory,
        "other-organizer": OrganizerFactory,
        "owner": lambda: event.organizer,
        "admin": lambda: UserFactory(role=User.Role.ADMIN),
        "staff": lambda: UserFactory(is_staff=True),
    }[viewer]()

    if visible:
        assert event_get_visible(user=user, event_id=event.pk) == event
    else:
        with pytest.raises(NotFound, match="Event not found."):
            event_get_visible(user=user, event_id=event.pk)


def test_a_visible_event_carries_its_listing_summary():
    event = EventFactory()
    ListingFactory(ticket__event=event, price=Decimal("50.00"))
    ListingFactory(ticket__event=event, price=Decimal("45.00"))

    found = event_get_visible(user=AnonymousUser(), event_id=event.pk)

    assert (found.listing_count, found.lowest_price) == (2, Decimal("45.00"))


@pytest.mark.parametrize("event_id", ["abc", "", None, 1.5, True, -1, 0, "1; DROP", 2**70])
def test_an_id_that_is_not_an_integer_is_not_found(event_id):
    EventFactory()

    with pytest.raises(NotFound):
        event_get_visible(user=StaffFactory(), event_id=event_id)


def test_a_missing_event_is_not_found():
    event = EventFactory()

    with pytest.raises(NotFound):
        event_get_visible(user=StaffFactory(), event_id=event.pk + 1000)


# event_can_edit


@pytest.mark.parametrize(
    ("editor", "allowed"),
    [
        ("anonymous", False),
        ("other-user", False),
        ("other-organizer", False),
        ("owner", True),
        ("suspended-owner", False),
        ("admin", True),
        ("staff", True),
    ],
)
def test_who_can_edit_an_event(editor, allowed):
    event = EventFactory()
    user = {
        "anonymous": AnonymousUser,
        "other-user": UserFactory,
        "other-organizer": OrganizerFactory,
        "owner": lambda: event.organizer,
        "suspended-owner": lambda: _suspend(event.organizer),
        "admin": lambda: UserFactory(role=User.Role.ADMIN),
        "staff": lambda: UserFactory(is_staff=True),
    }[editor]()

    assert event_can_edit(user=user, event=event) is allowed


def _suspend(user):
    user.status = User.Status.SUSPENDED
    user.save(update_fields=["status"])
    return user
