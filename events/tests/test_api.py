"""The partner API for events: /api/v1/events and /api/v1/events/<id>."""

import json
from unittest.mock import ANY

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from marketplace.core.models import AuditLog
from marketplace.testing import error_of as _error
from marketplace.testing import in_days
from marketplace.testing import ok_body as _ok

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"


def _detail(event_or_id):
    return f"{EVENTS}/{getattr(event_or_id, 'pk', event_or_id)}"


def _ids(body):
    return [row["id"] for row in body["data"]]


_MISSING = object()  # a field left out of the body


def _event_body(**overrides):
    body = {
        "name": "Encore Summer Night",
        "description": "Three bands, one night.",
        "event_date": in_days(60).isoformat(),
        "event_time": "20:00",
        "location": "North Wall Quay",
        "venue_name": "3Arena",
        "city": "Dublin",
        "country": "IE",
        "postal_code": "D01 T0X4",
        "latitude": "53.347600",
        "longitude": "-6.228600",
        "category": "concert",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not _MISSING}


# GET /events: the catalogue


def test_anyone_can_search_events_without_a_token(api):
    event = EventFactory()

    body = _ok(api.get(EVENTS))

    assert _ids(body) == [event.pk]
    row = body["data"][0]
    assert row["name"] == event.name
    assert row["status"] == "published"
    assert row["organizer"]["id"] == event.organizer.public_id
    assert "email" not in row["organizer"]
    assert body["meta"]["pagination"] == {
        "page": 1,
        "limit": 20,
        "total": 1,
        "totalPages": 1,
        "totalExact": True,
        "nextCursor": None,
    }


def test_the_catalogue_shows_only_published_upcoming_events_soonest_first(api):
    later = EventFactory(event_date=in_days(20))
    sooner = EventFactory(event_date=in_days(3))
    today = EventFactory(event_date=in_days(0))
    for status in (Event.Status.DRAFT, Event.Status.CANCELLED, Event.Status.COMPLETED):
        EventFactory(status=status)
    EventFactory(event_date=in_days(-1))

    body = _ok(api.get(EVENTS))

    assert _ids(body) == [today.pk, sooner.pk, later.pk]
    assert body["meta"]["pagination"]["total"] == 3


def test_an_event_lists_its_number_of_tickets_on_sale_and_the_lowest_price(api):
    event = EventFactory()
    ListingFactory(ticket__event=event, price="58.00")
    ListingFactory(ticket__event=event, price="52.50")
    ListingFactory(ticket__event=event, price="41.00", status="cancelled")

    row = _ok(api.get(EVENTS))["data"][0]

    assert row["listing_count"] == 2
    assert row["lowest_price"] == "52.50"


@pytest.mark.parametrize(
    ("query", "matching", "other"),
    [
        ({"q": "jazz"}, {"name": "Late Night Jazz"}, {"name": "Rock Night"}),
        ({"q": "vicar"}, {"venue_name": "Vicar Street"}, {"venue_name": "3Arena"}),
        ({"category": "sports"}, {"category": "sports"}, {"category": "concert"}),
        ({"city": "cork"}, {"city": "Cork"}, {"city": "Dublin"}),
        ({"country": "gb"}, {"country": "GB"}, {"country": "IE"}),
        ({"date_from": "+10"}, {"event_date": 15}, {"event_date": 5}),
        ({"date_to": "+10"}, {"event_date": 5}, {"event_date": 15}),
    ],
)
def test_each_filter_narrows_the_events(api, query, matching, other):
    def dated(fields):
        if "event_date" in fields:
            return {**fields, "event_date": in_days(fields["event_date"])}
        return fields

    query = {
        key: in_days(int(value)).isoformat() if key.startswith("date_") else value
        for key, value in query.items()
    }
    wanted = EventFactory(**dated(matching))
    EventFactory(**dated(other))

    body = _ok(api.get(EVENTS, query))

    assert _ids(body) == [wanted.pk]
    assert body["meta"]["pagination"]["total"] == 1


def test_date_from_in_the_past_shows_past_events(api):
    past = EventFactory(event_date=in_days(-5))
    upcoming = EventFactory(event_date=in_days(5))

    body = _ok(api.get(EVENTS, {"date_from": in_days(-10).isoformat()}))

    assert _ids(body) == [past.pk, upcoming.pk]


def test_empty_filters_do_not_filter(api):
    event = EventFactory()

    body = _ok(api.get(EVENTS, {"q": "", "category": "", "city": "", "date_from": ""}))

    assert _ids(body) == [event.pk]


def test_filters_of_only_spaces_do_not_filter(api):
    event = EventFactory()

    body = _ok(api.get(EVENTS, {"q": "  ", "city": " ", "country": "  "}))

    assert _ids(body) == [event.pk]


def test_date_from_after_date_to_is_a_validation_error(api):
    error = _error(
        api.get(EVENTS, {"date_from": in_days(10).isoformat(), "date_to": in_days(5).isoformat()}),
        400,
        "VALIDATION_ERROR",
    )

    assert error["details"]["field"] == "date_to"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"category": "opera"}, "category"),
        ({"date_from": "tomorrow"}, "date_from"),
        ({"date_to": "2030-02-30"}, "date_to"),
        ({"country": "IRL"}, "country"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_a_bad_filter_is_a_validation_error(api, query, field):
    error = _error(api.get(EVENTS, query), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field


def test_pages_split_the_events_and_say_how_many_there_are(api):
    events = [EventFactory(event_date=in_days(day)) for day in range(1, 6)]

    first = _ok(api.get(EVENTS, {"limit": 2}))
    last = _ok(api.get(EVENTS, {"limit": 2, "page": 3}))
    beyond = _ok(api.get(EVENTS, {"limit": 2, "page": 4}))

    assert _ids(first) == [events[0].pk, events[1].pk]
    assert first["meta"]["pagination"] == {
        "page": 1,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "totalExact": True,
        "nextCursor": ANY,
    }
    assert _ids(last) == [events[4].pk]
    assert last["meta"]["pagination"] == {
        "page": 3,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "totalExact": True,
        "nextCursor": None,
    }
    assert beyond["data"] == []


def test_a_limit_over_the_maximum_is_capped_at_100(api):
    EventFactory()

    body = _ok(api.get(EVENTS, {"limit": 5000}))

    assert body["meta"]["pagination"]["limit"] == 100


@pytest.mark.parametrize(
    "query",
    [{"page": 0}, {"page": -1}, {"page": "two"}, {"page": 100_001}, {"limit": 0}, {"limit": "x"}],
)
def test_a_bad_page_or_limit_is_a_validation_error(api, query):
    EventFactory()

    error = _error(api.get(EVENTS, query), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "INVALID_PAGINATION"
    assert error["details"]["field"] == next(iter(query))


def _events_with_listings(count):
    for day in range(count):
        event = EventFactory(event_date=in_days(day + 1), organizer=OrganizerFactory())
        ListingFactory(ticket__event=event)


def _queries_for_list(client, query=None):
    with CaptureQueriesContext(connection) as captured:
        body = _ok(client.get(EVENTS, query or {}))
    return len(captured), body


def test_the_catalogue_costs_the_same_queries_for_2_and_20_events(api):
    _events_with_listings(2)
    for_two, body = _queries_for_list(api)
    assert len(body["data"]) == 2

    _events_with_listings(18)
    cache.clear()  # rows made by factories, not the services: build the page again
    for_twenty, body = _queries_for_list(api)

    assert len(body["data"]) == 20
    assert for_twenty == for_two


# GET /events/<id>


def test_anyone_can_read_a_published_event(api, api_as):
    event = EventFactory(name="Encore Live Forever")

    for client in (api, api_as(UserFactory())):
        data = _ok(client.get(_detail(event)))["data"]
        assert data["id"] == event.pk
        assert data["name"] == "Encore Live Forever"
        assert data["currency"] == "EUR"


def _draft():
    return EventFactory(status=Event.Status.DRAFT)


def test_a_draft_is_not_found_for_anonymous_visitors(api):
    error = _error(api.get(_detail(_draft())), 404, "NOT_FOUND")

    assert error["details"] == {}


@pytest.mark.parametrize("factory", [UserFactory, OrganizerFactory])
def test_a_draft_is_not_found_for_other_users_and_other_organizers(api_as, factory):
    _error(api_as(factory()).get(_detail(_draft())), 404, "NOT_FOUND")


def test_a_draft_is_visible_to_its_organizer_and_to_staff(api_as):
    draft = _draft()

    for user in (draft.organizer, StaffFactory()):
        data = _ok(api_as(user).get(_detail(draft)))["data"]
        assert data["id"] == draft.pk
        assert data["status"] == "draft"


@pytest.mark.parametrize("path", ["999999", "999999999999999999"])
def test_an_unknown_event_is_not_found(api, path):
    EventFactory()

    _error(api.get(f"{EVENTS}/{path}"), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["12345678901234567890", "0", "abc", "-1"])
def test_an_id_that_cannot_be_an_event_is_a_not_found_envelope(api, path):
    _error(api.get(f"{EVENTS}/{path}"), 404, "NOT_FOUND")


# POST /events


def test_an_organizer_creates_an_event_and_is_its_organizer(api_as):
    organizer = OrganizerFactory()
    someone_else = OrganizerFactory()

    body = _ok(
        api_as(organizer).post(
            EVENTS, _event_body(organizer=someone_else.pk, organizer_id=someone_else.pk)
        ),
        201,
    )

    data = body["data"]
    event = Event.objects.get()
    assert data["id"] == event.pk
    assert event.organizer == organizer
    assert data["organizer"]["id"] == organizer.public_id
    assert data["status"] == "draft"
    assert data["name"] == "Encore Summer Night"
    assert data["latitude"] == "53.347600"
    assert data["listing_count"] == 0
    assert data["lowest_price"] is None


def test_creating_an_event_writes_its_audit_row(api_as):
    organizer = OrganizerFactory()

    data = _ok(api_as(organizer).post(EVENTS, _event_body(status="published")), 201)["data"]

    row = AuditLog.objects.get(action="event.created")
    assert row.actor == organizer
    assert (row.entity_type, row.entity_id) == ("event", str(data["id"]))
    assert row.changes["organizer_id"] == organizer.pk
    assert row.changes["status"] == "published"
    assert row.changes["name"] == "Encore Summer Night"


def test_an_organizer_may_choose_the_currency_and_a_lowercase_country(api_as):
    data = _ok(
        api_as(OrganizerFactory()).post(EVENTS, _event_body(country="gb", currency="GBP")), 201
    )["data"]

    assert (data["country"], data["currency"]) == ("GB", "GBP")


@pytest.mark.parametrize(
    "factory",
    [StaffFactory, lambda: UserFactory(role=User.Role.ADMIN), lambda: UserFactory(is_staff=True)],
    ids=["staff-admin", "admin-role", "staff-flag"],
)
def test_admins_and_staff_create_events(api_as, factory):
    user = factory()

    data = _ok(api_as(user).post(EVENTS, _event_body()), 201)["data"]

    assert Event.objects.get(pk=data["id"]).organizer == user


def test_a_plain_user_cannot_create_an_event(api_as, db_snapshot):
    user = UserFactory()
    before = db_snapshot()

    _error(api_as(user).post(EVENTS, _event_body()), 403, "FORBIDDEN")

    assert db_snapshot() == before


def test_creating_an_event_needs_a_token(api, db_snapshot):
    before = db_snapshot()

    _error(api.post(EVENTS, _event_body()), 401, "UNAUTHORIZED")

    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_date": _MISSING}, "event_date"),
        ({"name": _MISSING}, "name"),
        ({"venue_name": _MISSING}, "venue_name"),
        ({"city": _MISSING}, "city"),
        ({"country": _MISSING}, "country"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"description": "x" * 10_001}, "description"),
        ({"country": "IRL"}, "country"),
        ({"country": "I1"}, "country"),
        ({"latitude": "91"}, "latitude"),
        ({"latitude": "-90.5"}, "latitude"),
        ({"longitude": "180.01"}, "longitude"),
        ({"latitude": "53.1234567"}, "latitude"),
        ({"status": "cancelled"}, "status"),
        ({"status": "completed"}, "status"),
        ({"category": "opera"}, "category"),
        ({"currency": "euro"}, "currency"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"event_date": "2030-02-30"}, "event_date"),
        ({"event_time": "25:00"}, "event_time"),
        ({"metadata": {"notes": "x" * 10_001}}, "metadata"),
        # Wrong types.
        ({"name": ["Encore"]}, "name"),
        ({"name": {"en": "Encore"}}, "name"),
        ({"event_date": 20300101}, "event_date"),
        ({"event_time": 2000}, "event_time"),
        ({"latitude": "north"}, "latitude"),
        ({"latitude": True}, "latitude"),
        ({"status": ["draft"]}, "status"),
        ({"category": True}, "category"),
        ({"metadata": "not an object"}, "metadata"),
        ({"metadata": [1, 2]}, "metadata"),
        ({"city": None}, "city"),
    ],
)
def test_bad_event_data_is_a_validation_error_and_writes_nothing(
    api_as, db_snapshot, overrides, field
):
    organizer = OrganizerFactory()
    before = db_snapshot()

    response = api_as(organizer).post(EVENTS, _event_body(**overrides))

    error = _error(response, 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field
    assert db_snapshot() == before


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "metadata",
    [
        {"note": "a\u0000b"},
        {"a\u0000b": 1},
        {"list": [1, {"deep": "\u0000"}]},
        {"note": "\ud800"},
        _nested(11),
        _nested(900),
    ],
    ids=["nul-value", "nul-key", "nul-nested", "lone-surrogate", "11-levels", "900-levels"],
)
def test_metadata_the_database_cannot_store_is_a_validation_error_not_a_500(
    api_as, db_snapshot, metadata
):
    organizer = OrganizerFactory()
    event = EventFactory(organizer=organizer)
    before = db_snapshot()
    client = api_as(organizer)

    created = client.post(
        EVENTS, data=json.dumps(_event_body(metadata=metadata)), content_type="application/json"
    )
    changed = client.patch(
        _detail(event), data=json.dumps({"metadata": metadata}), content_type="application/json"
    )

    assert _error(created, 400, "VALIDATION_ERROR")["details"]["field"] == "metadata"
    assert _error(changed, 400, "VALIDATION_ERROR")["details"]["field"] == "metadata"
    assert db_snapshot() == before


def test_metadata_nested_ten_levels_is_stored(api_as):
    response = api_as(OrganizerFactory()).post(EVENTS, _event_body(metadata=_nested(10)))

    data = _ok(response, 201)["data"]

    assert Event.objects.get(pk=data["id"]).metadata == _nested(10)


@pytest.mark.parametrize(
    "overrides",
    [
        {"event_date": in_days(-1).isoformat()},
        {"event_date": timezone.localdate().isoformat(), "event_time": None},
    ],
    ids=["yesterday", "today-at-midnight"],
)
def test_an_event_in_the_past_is_refused_and_writes_nothing(api_as, db_snapshot, overrides):
    organizer = OrganizerFactory()
    before = db_snapshot()

    response = api_as(organizer).post(EVENTS, _event_body(**overrides))

    error = _error(response, 400, "VALIDATION_ERROR")

    assert error["details"] == {"field": "event_date", "reason": "DATE_IN_PAST"}
    assert db_snapshot() == before


@pytest.mark.parametrize("body", [[], ["name"], "Encore", 42, None])
def test_a_body_that_is_not_an_object_is_a_validation_error(api_as, db_snapshot, body):
    organizer = OrganizerFactory()
    before = db_snapshot()

    response = api_as(organizer).post(
        EVENTS, data=json.dumps(body), content_type="application/json"
    )

    _error(response, 400, "VALIDATION_ERROR")
    assert db_snapshot() == before


def test_a_body_that_is_not_json_is_invalid_input(api_as, db_snapshot):
    organizer = OrganizerFactory()
    before = db_snapshot()

    response = api_as(organizer).post(EVENTS, data="{name: ", content_type="application/json")

    _error(response, 400, "INVALID_INPUT")
    assert db_snapshot() == before


# PATCH and PUT /events/<id>


@pytest.mark.parametrize("method", ["patch", "put"])
def test_its_organizer_changes_some_fields_of_an_event(api_as, method):
    event = EventFactory(name="Old name", city="Dublin")

    response = getattr(api_as(event.organizer), method)(_detail(event), {"name": "New name"})

    data = _ok(response)["data"]

    event.refresh_from_db()
    assert data["name"] == event.name == "New name"
    assert data["city"] == event.city == "Dublin"
    row = AuditLog.objects.get(action="event.updated")
    assert row.changes == {"name": {"from": "Old name", "to": "New name"}}
    assert row.actor == event.organizer


@pytest.mark.parametrize(
    "factory", [StaffFactory, lambda: UserFactory(role=User.Role.ADMIN)], ids=["staff", "admin"]
)
def test_an_admin_changes_anyones_event(api_as, factory):
    event = EventFactory(status=Event.Status.DRAFT)

    data = _ok(api_as(factory()).patch(_detail(event), {"venue_name": "Vicar Street"}))["data"]

    event.refresh_from_db()
    assert data["venue_name"] == event.venue_name == "Vicar Street"


def test_another_organizer_cannot_change_a_published_event(api_as, db_snapshot):
    event = EventFactory()
    intruder = OrganizerFactory()
    before = db_snapshot()

    _error(api_as(intruder).patch(_detail(event), {"name": "Mine now"}), 403, "FORBIDDEN")

    assert db_snapshot() == before


def test_another_organizers_draft_is_not_found_when_changed(api_as, db_snapshot):
    draft = _draft()
    intruder = OrganizerFactory()
    before = db_snapshot()

    _error(api_as(intruder).put(_detail(draft), {"name": "Mine now"}), 404, "NOT_FOUND")

    assert db_snapshot() == before


def test_a_plain_user_cannot_change_an_event(api_as, db_snapshot):
    event = EventFactory()
    user = UserFactory()
    before = db_snapshot()

    _error(api_as(user).patch(_detail(event), {"name": "Mine now"}), 403, "FORBIDDEN")

    assert db_snapshot() == before


@pytest.mark.parametrize("method", ["patch", "put"])
def test_changing_an_event_needs_a_token(api, db_snapshot, method):
    event = EventFactory()
    before = db_snapshot()

    _error(getattr(api, method)(_detail(event), {"name": "Mine now"}), 401, "UNAUTHORIZED")

    assert db_snapshot() == before


def test_changing_an_unknown_event_is_not_found(api_as):
    _error(api_as(OrganizerFactory()).patch(f"{EVENTS}/999999", {"name": "x"}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("draft", "published"),
        ("draft", "cancelled"),
        ("published", "draft"),
        ("published", "cancelled"),
        ("published", "completed"),
    ],
)
def test_allowed_status_transitions(api_as, old, new):
    event = EventFactory(status=old)

    data = _ok(api_as(event.organizer).patch(_detail(event), {"status": new}))["data"]

    event.refresh_from_db()
    assert data["status"] == event.status == new
    row = AuditLog.objects.get(action="event.updated")
    assert row.changes == {"status": {"from": old, "to": new}}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("draft", "completed"),
        ("cancelled", "published"),
        ("cancelled", "draft"),
        ("completed", "published"),
        ("completed", "cancelled"),
    ],
)
def test_refused_status_transitions_say_invalid_transition(api_as, db_snapshot, old, new):
    event = EventFactory(status=old)
    before = db_snapshot()

    error = _error(
        api_as(event.organizer).patch(_detail(event), {"status": new}), 400, "VALIDATION_ERROR"
    )

    assert error["details"] == {
        "field": "status",
        "reason": "INVALID_TRANSITION",
        "from": old,
        "to": new,
    }
    assert db_snapshot() == before


def test_an_event_with_tickets_on_sale_cannot_go_back_to_draft(api_as, db_snapshot):
    event = EventFactory()
    ListingFactory(ticket__event=event)
    before = db_snapshot()

    error = _error(
        api_as(event.organizer).patch(_detail(event), {"status": "draft"}), 400, "VALIDATION_ERROR"
    )

    assert error["details"]["reason"] == "HAS_LISTINGS"
    assert db_snapshot() == before


def test_organizer_and_currency_in_an_update_are_ignored(api_as):
    event = EventFactory(currency="EUR")
    organizer = event.organizer
    other = OrganizerFactory()

    data = _ok(
        api_as(organizer).put(
            _detail(event),
            {"organizer": other.pk, "organizer_id": other.pk, "currency": "USD", "city": "Cork"},
        )
    )["data"]

    event.refresh_from_db()
    assert event.organizer == organizer
    assert event.currency == "EUR"
    assert event.city == "Cork"
    assert (data["organizer"]["id"], data["currency"]) == (organizer.public_id, "EUR")


def test_an_update_with_nothing_new_writes_nothing(api_as, db_snapshot):
    event = EventFactory(name="Same")
    before = db_snapshot()

    data = _ok(api_as(event.organizer).patch(_detail(event), {"name": "Same"}))["data"]

    assert data["name"] == "Same"
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"event_date": in_days(-1).isoformat()}, "event_date", "DATE_IN_PAST"),
        ({"latitude": "91"}, "latitude", None),
        ({"country": "IRL"}, "country", None),
        ({"name": ""}, "name", None),
        ({"name": None}, "name", None),
        ({"status": "archived"}, "status", None),
        ({"metadata": None}, "metadata", None),
    ],
)
def test_a_bad_update_is_a_validation_error_and_writes_nothing(
    api_as, db_snapshot, body, field, reason
):
    event = EventFactory()
    before = db_snapshot()

    error = _error(api_as(event.organizer).patch(_detail(event), body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field
    if reason:
        assert error["details"]["reason"] == reason
    assert db_snapshot() == before


@pytest.mark.parametrize(("field", "value"), [("category", "sports"), ("country", "GB")])
def test_category_and_country_stay_while_tickets_are_on_sale(api_as, db_snapshot, field, value):
    event = EventFactory(category="festival")
    ListingFactory(ticket__event=event)
    before = db_snapshot()

    error = _error(
        api_as(event.organizer).patch(_detail(event), {field: value}), 400, "VALIDATION_ERROR"
    )

    assert error["details"] == {"field": field, "reason": "HAS_LISTINGS"}
    assert db_snapshot() == before


def test_publishing_a_draft_whose_date_has_passed_is_refused(api_as, db_snapshot):
    event = EventFactory(status="draft", event_date=in_days(-2))
    before = db_snapshot()

    error = _error(
        api_as(event.organizer).patch(_detail(event), {"status": "published"}),
        400,
        "VALIDATION_ERROR",
    )

    assert error["details"] == {"field": "event_date", "reason": "DATE_IN_PAST"}
    assert db_snapshot() == before
