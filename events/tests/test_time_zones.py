"""Each event keeps its own clock (events/zones.py): the venue's time zone decides
when the event starts, so when sales close and listings expire, on the pages and
the API alike."""

import datetime
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from accounts.tests.factories import OrganizerFactory
from events.models import Event
from events.selectors import event_is_on_sale
from events.services import event_create, event_update
from events.tests.factories import EventFactory
from events.zones import (
    COUNTRY_TIME_ZONES,
    MULTI_ZONE_COUNTRIES,
    country_time_zone,
    event_starts_at,
    time_zone_for_backfill,
)
from listings.models import Listing
from listings.services import listing_create, listings_expire_due
from listings.tests.factories import ListingFactory
from marketplace.core.errors import ValidationFailed
from marketplace.testing import error_of, ok_body
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
UTC = datetime.UTC
# A winter Friday: Berlin is on CET (UTC+1), an hour ahead of Dublin.
SHOW_DAY = datetime.date(2027, 1, 15)
SHOW_TIME = datetime.time(19, 30)
# The European daylight-saving changes of 2027.
SPRING_FORWARD = datetime.date(2027, 3, 28)
FALL_BACK = datetime.date(2027, 10, 31)


def _berlin(hour, minute, day=SHOW_DAY):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    """clock(moment): timezone.now() answers `moment` from then on."""

    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))

    return set_to


def _berlin_event(**kwargs):
    fields = {"event_date": SHOW_DAY, "event_time": SHOW_TIME, "country": "DE"}
    return EventFactory(**{**fields, "venue_name": "Uber Arena", "city": "Berlin", **kwargs})


# --- the country -> zone table and the start ----------------------------------------


def test_the_table_names_real_zones_and_leaves_multi_zone_countries_out():
    for zone in COUNTRY_TIME_ZONES.values():
        ZoneInfo(zone)
    assert not MULTI_ZONE_COUNTRIES & set(COUNTRY_TIME_ZONES)
    assert country_time_zone("de") == "Europe/Berlin"
    assert country_time_zone("US") is None
    assert country_time_zone("ES") is None


def test_an_event_takes_its_countrys_zone_and_starts_on_the_venues_clock():
    event = _berlin_event()

    assert event.time_zone == "Europe/Berlin"
    assert event.starts_at == _berlin(19, 30)
    assert event.starts_at.astimezone(UTC) == datetime.datetime(2027, 1, 15, 18, 30, tzinfo=UTC)
    assert event.time_label == "19:30 CET"
    summer = _berlin_event(event_date=datetime.date(2027, 7, 2))
    assert summer.time_label == "19:30 CEST"


def test_a_berlin_event_is_on_sale_at_1929_berlin_time_and_not_at_1931():
    event = _berlin_event()

    assert event_is_on_sale(event=event, now=_berlin(19, 29))
    assert not event_is_on_sale(event=event, now=_berlin(19, 31))
    # 19:31 in Berlin is 18:31 in Dublin: on the site's clock it would still be on sale.
    assert _berlin(19, 31).astimezone(ZoneInfo("Europe/Dublin")).hour == 18


def test_spring_forward_a_wall_time_that_does_not_exist_is_read_past_the_gap():
    # 02:00 -> 03:00 on 28 March 2027 in Berlin: 02:30 never shows on a clock.
    start = event_starts_at(SPRING_FORWARD, datetime.time(2, 30), "Europe/Berlin")

    assert start.astimezone(UTC) == datetime.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert (start.hour, start.minute, start.tzname()) == (3, 30, "CEST")
    event = _berlin_event(event_date=SPRING_FORWARD, event_time=datetime.time(2, 30))
    assert event.time_label == "03:30 CEST"
    assert event_is_on_sale(event=event, now=start - datetime.timedelta(minutes=1))
    assert not event_is_on_sale(event=event, now=start)


def test_fall_back_a_wall_time_that_exists_twice_is_its_first_occurrence():
    # 03:00 -> 02:00 on 31 October 2027 in Berlin: 02:30 happens at 00:30 and 01:30 UTC.
    start = event_starts_at(FALL_BACK, datetime.time(2, 30), "Europe/Berlin")

    assert start.astimezone(UTC) == datetime.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert start.tzname() == "CEST"
    event = _berlin_event(event_date=FALL_BACK, event_time=datetime.time(2, 30))
    assert event.time_label == "02:30 CEST"
    later_half_hour = datetime.datetime(2027, 10, 31, 1, 0, tzinfo=UTC)
    assert not event_is_on_sale(event=event, now=later_half_hour)


# --- the migration's backfill ------------------------------------------------------


def test_backfill_maps_countries_to_zones_with_the_site_zone_as_fallback():
    assert time_zone_for_backfill("DE", "Europe/Dublin") == "Europe/Berlin"
    assert time_zone_for_backfill("nl", "Europe/Dublin") == "Europe/Amsterdam"
    # Multi-zone countries: the mainland's for ES and PT, the site's for the others.
    assert time_zone_for_backfill("ES", "Europe/Dublin") == "Europe/Madrid"
    assert time_zone_for_backfill("PT", "Europe/Dublin") == "Europe/Lisbon"
    assert time_zone_for_backfill("US", "Europe/Dublin") == "Europe/Dublin"
    assert time_zone_for_backfill("ZZ", "Europe/Dublin") == "Europe/Dublin"


def test_the_data_migration_backfills_events_and_moves_their_listings_expiry(settings):
    settings.TIME_ZONE = "Europe/Dublin"
    migration = importlib.import_module("events.migrations.0004_time_zone")
    berlin = _berlin_event()
    dublin = EventFactory(event_date=SHOW_DAY, event_time=SHOW_TIME)
    unknown = EventFactory(event_date=SHOW_DAY, event_time=SHOW_TIME, country="US")
    # As before the migration: no zone, and a listing expiring at the Dublin reading.
    old_start = datetime.datetime.combine(SHOW_DAY, SHOW_TIME, tzinfo=ZoneInfo("Europe/Dublin"))
    listing = ListingFactory(
        ticket=TicketFactory(event=berlin, status=Ticket.Status.LISTED), expires_at=old_start
    )
    Event.objects.filter(pk__in=[berlin.pk, dublin.pk, unknown.pk]).update(time_zone="")

    migration.backfill_time_zones(django_apps, None)

    zones = dict(Event.objects.values_list("pk", "time_zone"))
    assert zones[berlin.pk] == "Europe/Berlin"
    assert zones[dublin.pk] == "Europe/Dublin"
    assert zones[unknown.pk] == "Europe/Dublin"
    assert Listing.objects.get(pk=listing.pk).expires_at == _berlin(19, 30)


# --- creating and changing an event -----------------------------------------------


def _create(**kwargs):
    fields = {
        "organizer": OrganizerFactory(),
        "name": "Show",
        "event_date": SHOW_DAY,
        "event_time": SHOW_TIME,
        "venue_name": "Hall",
        "city": "Somewhere",
        "country": "IE",
    }
    fields.update(kwargs)
    return event_create(**fields)


def test_a_country_with_several_zones_refuses_a_missing_zone():
    with pytest.raises(ValidationFailed) as refused:
        _create(country="US", city="Chicago")
    assert refused.value.details == {"field": "time_zone", "reason": "REQUIRED", "country": "US"}

    event = _create(country="US", city="Chicago", time_zone="America/Chicago")
    assert event.starts_at.astimezone(UTC) == datetime.datetime(2027, 1, 16, 1, 30, tzinfo=UTC)


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        _create(time_zone="Mars/Olympus_Mons")
    assert refused.value.details == {"field": "time_zone", "reason": "INVALID_TIME_ZONE"}


def test_changing_the_zone_moves_the_start_and_the_open_listings_expiry():
    event = _create(country="DE", status="published")
    listing = ListingFactory(ticket=TicketFactory(event=event, status=Ticket.Status.LISTED))
    assert listing.expires_at == _berlin(19, 30)

    event_update(actor=event.organizer, event=event, time_zone="Europe/London")

    london_start = datetime.datetime.combine(SHOW_DAY, SHOW_TIME, tzinfo=ZoneInfo("Europe/London"))
    assert event.starts_at == london_start
    assert Listing.objects.get(pk=listing.pk).expires_at == london_start


def test_a_new_country_takes_its_zone_unless_it_has_several():
    event = _create(country="DE")
    organizer = event.organizer

    event_update(actor=organizer, event=event, country="FR")
    assert event.time_zone == "Europe/Paris"
    with pytest.raises(ValidationFailed) as refused:
        event_update(actor=organizer, event=event, country="AU")
    assert refused.value.details["field"] == "time_zone"
    event_update(actor=organizer, event=event, country="AU", time_zone="Australia/Perth")
    assert event.time_zone == "Australia/Perth"
    # Sending the same country again keeps the zone chosen.
    event_update(actor=organizer, event=event, country="AU", name="Renamed")
    assert event.time_zone == "Australia/Perth"


# --- listings expire at the venue's start -------------------------------------------


def test_a_listing_expires_at_the_berlin_start(clock):
    event = _berlin_event()
    ticket = TicketFactory(event=event)

    listing = listing_create(seller=ticket.owner, ticket=ticket, price=Decimal("55.00"))
    assert listing.expires_at == _berlin(19, 30)

    clock(_berlin(19, 29))
    assert listings_expire_due() == 0
    clock(_berlin(19, 31))
    assert listings_expire_due() == 1
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.EXPIRED


# --- the API --------------------------------------------------------------------------


def test_the_api_shows_the_start_with_the_venues_offset_and_zone(api):
    event = _berlin_event()

    data = ok_body(api.get(f"/api/v1/events/{event.pk}"))["data"]

    assert data["event_date"] == "2027-01-15"
    assert data["event_time"] == "19:30:00"
    assert data["time_zone"] == "Europe/Berlin"
    assert data["starts_at"] == "2027-01-15T19:30:00+01:00"


def test_the_api_creates_with_a_zone_and_refuses_a_missing_one_where_several(api_as):
    organizer = OrganizerFactory()
    body = {
        "name": "Gig",
        "event_date": "2027-01-15",
        "event_time": "19:30",
        "venue_name": "Hall",
        "city": "Las Palmas",
        "country": "ES",
    }

    refused = api_as(organizer).post("/api/v1/events", body, format="json")
    error = error_of(refused, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "time_zone"
    assert error["details"]["reason"] == "REQUIRED"

    created = api_as(organizer).post(
        "/api/v1/events", {**body, "time_zone": "Atlantic/Canary"}, format="json"
    )
    data = ok_body(created, 201)["data"]
    assert (data["time_zone"], data["starts_at"]) == (
        "Atlantic/Canary",
        "2027-01-15T19:30:00+00:00",
    )
    changed = api_as(organizer).patch(
        f"/api/v1/events/{data['id']}", {"time_zone": "Europe/Madrid"}, format="json"
    )
    assert ok_body(changed)["data"]["starts_at"] == "2027-01-15T19:30:00+01:00"
    bad = api_as(organizer).patch(
        f"/api/v1/events/{data['id']}", {"time_zone": "Europe/Nowhere"}, format="json"
    )
    assert error_of(bad, 400, "VALIDATION_ERROR")["details"]["field"] == "time_zone"


# --- the pages -----------------------------------------------------------------------


def test_the_event_and_listing_pages_show_the_venues_time_and_sale_closes_at_its_start(
    client, clock
):
    event = _berlin_event()
    listing = ListingFactory(ticket=TicketFactory(event=event, status=Ticket.Status.LISTED))

    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "19:30 CET" in page
    assert "Europe/Berlin" in page

    clock(_berlin(19, 29))
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    assert "19:30 CET" in page
    assert "not on sale any more" not in page
    clock(_berlin(19, 31))
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    assert "not on sale any more" in page


def test_the_organizer_form_refuses_a_missing_zone_where_the_country_has_several(client):
    organizer = OrganizerFactory()
    client.force_login(organizer)
    form = {
        "name": "Gig",
        "event_date": "2027-01-15",
        "event_time": "19:30",
        "venue_name": "Hall",
        "city": "Sydney",
        "country": "AU",
        "category": "concert",
        "status": "draft",
        "time_zone": "",
        "tiers-TOTAL_FORMS": "0",
        "tiers-INITIAL_FORMS": "0",
    }

    response = client.post("/organizer/events/new/", form)
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert not Event.objects.filter(name="Gig").exists()

    response = client.post("/organizer/events/new/", {**form, "time_zone": "Australia/Sydney"})
    assert response.status_code == 302
    event = Event.objects.get(name="Gig")
    assert event.time_label == "19:30 AEDT"


def test_the_demo_venues_keep_their_own_clocks():
    from marketplace.devtools import demo_data

    zones = {venue.city: venue.time_zone for venue in demo_data.VENUES.values()}
    assert zones["Berlin"] == "Europe/Berlin"
    assert zones["Paris"] == "Europe/Paris"
    assert zones["Amsterdam"] == "Europe/Amsterdam"
    assert zones["Barcelona"] == "Europe/Madrid"  # ES has several zones: named
    for venue in demo_data.VENUES.values():
        assert venue.time_zone == (country_time_zone(venue.country) or "Europe/Madrid")
