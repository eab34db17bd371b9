import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.models import Event
from events.services import event_create, event_update
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import in_days

pytestmark = pytest.mark.django_db


def _create(organizer, **overrides):
    fields = {
        "organizer": organizer,
        "name": "Encore Live",
        "event_date": in_days(30),
        "venue_name": "3Arena",
        "city": "Dublin",
        "country": "IE",
    }
    return event_create(**{**fields, **overrides})


def _audit_rows(action):
    return list(AuditLog.objects.filter(action=action))


# event_create


def test_organizer_creates_a_draft_in_the_default_currency_and_it_is_audited(settings):
    settings.DEFAULT_CURRENCY = "GBP"
    organizer = OrganizerFactory()

    event = _create(
        organizer,
        event_time=datetime.time(19, 30),
        latitude=Decimal("53.347800"),
        longitude=Decimal("-6.228600"),
        category="concert",
        metadata={"age_limit": 18},
        ip_address="203.0.113.7",
    )

    event.refresh_from_db()
    assert (event.status, event.currency, event.organizer) == ("draft", "GBP", organizer)
    [row] = _audit_rows("event.created")
    assert (row.actor, row.entity_type, row.entity_id) == (organizer, "event", str(event.pk))
    assert row.ip_address == "203.0.113.7"
    assert row.changes == {
        "organizer_id": organizer.pk,
        "name": "Encore Live",
        "description": "",
        "event_date": in_days(30).isoformat(),
        "event_time": "19:30:00",
        "location": "",
        "venue_name": "3Arena",
        "city": "Dublin",
        "country": "IE",
        "postal_code": "",
        "latitude": "53.347800",
        "longitude": "-6.228600",
        "status": "draft",
        "category": "concert",
        "metadata": {"age_limit": 18},
        "image_url": "",
        "time_zone": "Europe/Dublin",
        "venue_capacity": None,
        "primary_purchase_limit": 6,
        "resale_at_original_price": False,
        "currency": "GBP",
    }


def test_an_event_can_be_created_published_in_a_chosen_currency():
    event = _create(OrganizerFactory(), status="published", currency="usd")

    assert (event.status, event.currency) == ("published", "USD")


def test_the_country_is_upper_cased():
    event = _create(OrganizerFactory(), country="ie")

    assert Event.objects.get(pk=event.pk).country == "IE"


@pytest.mark.parametrize(
    "creator",
    [
        pytest.param(lambda: UserFactory(role=User.Role.ADMIN), id="admin"),
        pytest.param(lambda: UserFactory(is_staff=True), id="staff"),
        pytest.param(StaffFactory, id="staff-admin"),
    ],
)
def test_admins_and_staff_can_create_events(creator):
    user = creator()

    event = _create(user)

    assert event.organizer == user
    assert len(_audit_rows("event.created")) == 1


def test_a_plain_user_cannot_create_an_event_and_nothing_changes(db_snapshot):
    user = UserFactory()
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        _create(user)

    assert db_snapshot() == before
    assert not Event.objects.exists()


@pytest.mark.parametrize("status", [User.Status.SUSPENDED, User.Status.BANNED])
def test_a_suspended_or_banned_organizer_cannot_create_an_event(status, db_snapshot):
    organizer = OrganizerFactory(status=status)
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        _create(organizer)

    assert db_snapshot() == before


def test_a_deactivated_organizer_cannot_create_an_event():
    with pytest.raises(PermissionDenied):
        _create(OrganizerFactory(is_active=False))


@pytest.mark.parametrize("status", ["cancelled", "completed", "bogus"])
def test_an_event_is_created_only_as_draft_or_published(status, db_snapshot):
    organizer = OrganizerFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        _create(organizer, status=status)

    assert exc.value.details == {"field": "status", "reason": "INVALID_STATUS"}
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("days", "event_time"),
    [
        pytest.param(-1, datetime.time(20, 0), id="yesterday"),
        # Without a time an event starts at midnight: today has already begun.
        pytest.param(0, None, id="today-without-time"),
    ],
)
def test_an_event_starting_in_the_past_is_refused(days, event_time, db_snapshot):
    organizer = OrganizerFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        _create(organizer, event_date=in_days(days), event_time=event_time)

    assert exc.value.details == {"field": "event_date", "reason": "DATE_IN_PAST"}
    assert db_snapshot() == before


def test_an_event_tomorrow_without_a_time_is_accepted():
    assert _create(OrganizerFactory(), event_date=in_days(1)).event_time is None


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"name": "   "}, "name", "REQUIRED"),
        ({"venue_name": ""}, "venue_name", "REQUIRED"),
        ({"city": ""}, "city", "REQUIRED"),
        ({"country": "Ireland"}, "country", "INVALID_COUNTRY"),
        ({"category": "opera"}, "category", "INVALID_CHOICE"),
        ({"latitude": Decimal("91")}, "latitude", "OUT_OF_RANGE"),
        ({"longitude": Decimal("-180.5")}, "longitude", "OUT_OF_RANGE"),
        ({"currency": "EURO"}, "currency", "INVALID_CURRENCY"),
    ],
)
def test_values_the_database_would_refuse_are_validation_errors(
    overrides, field, reason, db_snapshot
):
    organizer = OrganizerFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        _create(organizer, **overrides)

    assert (exc.value.details["field"], exc.value.details["reason"]) == (field, reason)
    assert db_snapshot() == before


# event_update


def test_the_organizer_updates_their_event_and_only_real_changes_are_audited():
    event = EventFactory(name="Old Name", city="Dublin", status="draft")
    old_date = event.event_date
    new_date = in_days(60)

    updated = event_update(
        actor=event.organizer,
        event=event,
        name="New Name",
        event_date=new_date,
        city="Dublin",  # unchanged: not written, not audited
        ip_address="198.51.100.4",
    )

    assert (updated.name, updated.event_date) == ("New Name", new_date)
    assert Event.objects.get(pk=event.pk).name == "New Name"
    [row] = _audit_rows("event.updated")
    assert (row.actor, row.entity_id, row.ip_address) == (
        event.organizer,
        str(event.pk),
        "198.51.100.4",
    )
    assert row.changes == {
        "name": {"from": "Old Name", "to": "New Name"},
        "event_date": {"from": old_date.isoformat(), "to": new_date.isoformat()},
    }


def test_an_update_that_changes_nothing_writes_nothing(db_snapshot):
    event = EventFactory(name="Same", country="IE", latitude=Decimal("53.3478"))
    before = db_snapshot()

    result = event_update(
        actor=event.organizer,
        event=event,
        name="Same",
        country="ie",
        latitude=Decimal("53.347800"),
    )

    assert result == event
    assert db_snapshot() == before


def test_update_returns_the_event_as_stored_even_from_a_stale_instance():
    event = EventFactory(name="First")
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(description="Changed meanwhile")

    result = event_update(actor=event.organizer, event=stale, name="Second")

    assert (result.name, result.description) == ("Second", "Changed meanwhile")


def test_decimals_and_times_are_audited_as_strings():
    event = EventFactory(event_time=datetime.time(20, 0), latitude=None)

    event_update(
        actor=event.organizer,
        event=event,
        event_time=datetime.time(19, 0),
        latitude=Decimal("53.347800"),
    )

    [row] = _audit_rows("event.updated")
    assert row.changes == {
        "event_time": {"from": "20:00:00", "to": "19:00:00"},
        "latitude": {"from": None, "to": "53.347800"},
    }


@pytest.mark.parametrize(
    "editor",
    [
        pytest.param(lambda: UserFactory(role=User.Role.ADMIN), id="admin"),
        pytest.param(lambda: UserFactory(is_staff=True), id="staff"),
    ],
)
def test_admins_and_staff_can_update_any_event(editor):
    event = EventFactory(name="Before")
    user = editor()

    event_update(actor=user, event=event, name="After")

    assert Event.objects.get(pk=event.pk).name == "After"
    assert _audit_rows("event.updated")[0].actor == user


@pytest.mark.parametrize(
    "intruder",
    [
        pytest.param(OrganizerFactory, id="other-organizer"),
        pytest.param(UserFactory, id="plain-user"),
        pytest.param(AnonymousUser, id="anonymous"),
    ],
)
def test_no_one_else_can_update_an_event(intruder, db_snapshot):
    event = EventFactory(name="Mine")
    user = intruder()
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        event_update(actor=user, event=event, name="Theirs")

    assert db_snapshot() == before


def test_a_suspended_organizer_cannot_update_their_event(db_snapshot):
    event = EventFactory(organizer=OrganizerFactory(status=User.Status.SUSPENDED))
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        event_update(actor=event.organizer, event=event, name="Renamed")

    assert db_snapshot() == before


@pytest.mark.parametrize(
    "fields",
    [{"currency": "USD"}, {"organizer": None}, {"bogus": 1}, {"name": "Ok", "currency": "USD"}],
)
def test_fields_that_cannot_be_edited_are_a_programming_error(fields, db_snapshot):
    event = EventFactory()
    if "organizer" in fields:
        fields = {"organizer": OrganizerFactory()}
    before = db_snapshot()

    with pytest.raises(ValueError, match="cannot change"):
        event_update(actor=event.organizer, event=event, **fields)

    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("draft", "published"),
        ("draft", "cancelled"),
        ("published", "cancelled"),
        ("published", "completed"),
        ("published", "draft"),
    ],
)
def test_allowed_status_transitions(old, new):
    event = EventFactory(status=old)

    event_update(actor=event.organizer, event=event, status=new)

    assert Event.objects.get(pk=event.pk).status == new
    [row] = _audit_rows("event.updated")
    assert row.changes == {"status": {"from": old, "to": new}}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("draft", "completed"),
        ("cancelled", "published"),
        ("cancelled", "draft"),
        ("cancelled", "completed"),
        ("completed", "published"),
        ("completed", "cancelled"),
        ("completed", "draft"),
    ],
)
def test_refused_status_transitions_change_nothing(old, new, db_snapshot):
    event = EventFactory(status=old)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        event_update(actor=event.organizer, event=event, status=new, name="Renamed too")

    assert exc.value.details == {
        "field": "status",
        "reason": "INVALID_TRANSITION",
        "from": old,
        "to": new,
    }
    assert db_snapshot() == before


def test_an_unknown_status_is_refused():
    event = EventFactory(status="draft")

    with pytest.raises(ValidationFailed) as exc:
        event_update(actor=event.organizer, event=event, status="postponed")

    assert exc.value.details == {"field": "status", "reason": "INVALID_STATUS"}


@pytest.mark.parametrize("listing_status", [Listing.Status.ACTIVE, Listing.Status.PENDING])
def test_an_event_with_open_listings_cannot_go_back_to_draft(listing_status, db_snapshot):
    event = EventFactory(status="published")
    ListingFactory(ticket__event=event, status=listing_status)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        event_update(actor=event.organizer, event=event, status="draft")

    assert exc.value.details["reason"] == "HAS_LISTINGS"
    assert db_snapshot() == before


def test_an_event_whose_listings_are_all_closed_can_go_back_to_draft():
    event = EventFactory(status="published")
    for status in (Listing.Status.SOLD, Listing.Status.CANCELLED, Listing.Status.EXPIRED):
        ListingFactory(ticket__event=event, status=status)

    event_update(actor=event.organizer, event=event, status="draft")

    assert Event.objects.get(pk=event.pk).status == "draft"


def test_an_event_with_open_listings_can_still_be_cancelled():
    event = EventFactory(status="published")
    ListingFactory(ticket__event=event)

    event_update(actor=event.organizer, event=event, status="cancelled")

    assert Event.objects.get(pk=event.pk).status == "cancelled"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"event_date": -1}, id="date"),
        pytest.param({"event_date": 0, "event_time": None}, id="today-midnight"),
    ],
)
def test_moving_the_event_into_the_past_is_refused(fields, db_snapshot):
    event = EventFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        event_update(
            actor=event.organizer,
            event=event,
            **{**fields, "event_date": in_days(fields["event_date"])},
        )

    assert exc.value.details == {"field": "event_date", "reason": "DATE_IN_PAST"}
    assert db_snapshot() == before


def test_clearing_the_time_of_a_future_event_is_accepted():
    event = EventFactory(event_time=datetime.time(20, 0))

    event_update(actor=event.organizer, event=event, event_time=None)

    assert Event.objects.get(pk=event.pk).event_time is None


def test_a_past_event_can_be_completed_without_touching_its_date():
    yesterday = in_days(-1)
    event = EventFactory(status="published", event_date=yesterday)

    # The same date passed again is no change, so the past-date rule does not apply.
    event_update(actor=event.organizer, event=event, status="completed", event_date=yesterday)

    assert Event.objects.get(pk=event.pk).status == "completed"
    assert _audit_rows("event.updated")[0].changes == {
        "status": {"from": "published", "to": "completed"}
    }


def test_update_refuses_the_values_create_refuses(db_snapshot):
    event = EventFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        event_update(actor=event.organizer, event=event, country="IRL")

    assert exc.value.details["reason"] == "INVALID_COUNTRY"
    assert db_snapshot() == before


def test_publishing_a_draft_whose_date_has_passed_is_refused(db_snapshot):
    draft = EventFactory(
        status="draft", event_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as refused:
        event_update(actor=draft.organizer, event=draft, status="published")

    assert refused.value.details["reason"] == "DATE_IN_PAST"
    assert db_snapshot() == before


@pytest.mark.parametrize(("field", "value"), [("category", "festival"), ("country", "GB")])
def test_category_and_country_stay_while_tickets_are_on_sale(field, value, db_snapshot):
    listing = ListingFactory()
    event = listing.ticket.event
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as refused:
        event_update(actor=event.organizer, event=event, **{field: value})

    assert refused.value.details == {"field": field, "reason": "HAS_LISTINGS"}
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"note": "a\x00b"}, "INVALID_CHARACTERS"),
        ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {}}}}}}}}}}}, "TOO_DEEP"),
        ({"note": "x" * 10_001}, "TOO_LARGE"),
        (["not", "an", "object"], "NOT_AN_OBJECT"),
    ],
)
def test_metadata_the_database_cannot_store_is_refused_by_the_services(
    metadata, reason, db_snapshot
):
    organizer = OrganizerFactory()
    event = EventFactory(organizer=organizer)
    before = db_snapshot()

    for call in (
        lambda: event_create(
            organizer=organizer,
            name="Night",
            event_date=timezone.localdate() + datetime.timedelta(days=9),
            venue_name="Vicar St",
            city="Dublin",
            country="IE",
            metadata=metadata,
        ),
        lambda: event_update(actor=organizer, event=event, metadata=metadata),
    ):
        with pytest.raises(ValidationFailed) as refused:
            call()
        assert refused.value.details == {"field": "metadata", "reason": reason}

    assert db_snapshot() == before
