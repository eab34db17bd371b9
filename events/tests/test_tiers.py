"""An event's price tiers: declared by its organizer (or staff, for catalogue
events) on the service, the API, the organizer's page and the admin; tickets
uploaded for a tier take its face value."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.models import Event, PriceTier
from events.services import TIERS_MAX, event_create, event_tiers_set, event_update
from events.tests.factories import EventFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def tiers_of(event):
    return [(t.name, t.face_value, t.fees) for t in event.price_tiers.order_by("face_value", "id")]


@pytest.fixture
def event():
    return EventFactory()


# --- the service -----------------------------------------------------------------------


def test_the_organizer_declares_tiers_and_it_is_audited(event):
    tiers = event_tiers_set(
        actor=event.organizer,
        event=event,
        tiers=[
            {"name": " Standing ", "face_value": "49.50", "fees": "5.50"},
            {"name": "Seated", "face_value": Decimal("79.00")},
        ],
        ip_address="203.0.113.5",
    )

    assert [(t.name, t.face_value, t.fees) for t in tiers] == [
        ("Standing", Decimal("49.50"), Decimal("5.50")),
        ("Seated", Decimal("79.00"), Decimal("0.00")),
    ]
    entry = AuditLog.objects.get(action="event.tiers_changed")
    assert (entry.actor, entry.entity_id, entry.ip_address) == (
        event.organizer,
        str(event.pk),
        "203.0.113.5",
    )
    assert entry.changes["tiers"]["from"] == []
    assert {"name": "Standing", "face_value": "49.50", "fees": "5.50"} in entry.changes["tiers"][
        "to"
    ]


def test_the_list_replaces_the_tiers_keeping_those_named_by_id(event):
    standing = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    PriceTier.objects.create(event=event, name="Balcony", face_value=Decimal("30"))

    event_tiers_set(
        actor=event.organizer,
        event=event,
        tiers=[
            {"id": standing.pk, "name": "Standing", "face_value": "45.00"},
            {"name": "VIP", "face_value": "150.00", "fees": "15.00"},
        ],
    )

    assert tiers_of(event) == [
        ("Standing", Decimal("45.00"), Decimal("0.00")),
        ("VIP", Decimal("150.00"), Decimal("15.00")),
    ]
    assert PriceTier.objects.get(name="Standing").pk == standing.pk


def test_two_tiers_may_swap_names(event):
    a = PriceTier.objects.create(event=event, name="Front", face_value=Decimal("40"))
    b = PriceTier.objects.create(event=event, name="Back", face_value=Decimal("30"))

    event_tiers_set(
        actor=event.organizer,
        event=event,
        tiers=[
            {"id": a.pk, "name": "Back", "face_value": "40"},
            {"id": b.pk, "name": "Front", "face_value": "30"},
        ],
    )

    assert tiers_of(event) == [
        ("Front", Decimal("30.00"), Decimal("0.00")),
        ("Back", Decimal("40.00"), Decimal("0.00")),
    ]


def test_nothing_changed_writes_nothing(event):
    PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40.00"))
    tier = event.price_tiers.get()

    event_tiers_set(
        actor=event.organizer,
        event=event,
        tiers=[{"id": tier.pk, "name": "Standing", "face_value": "40.00"}],
    )

    assert not AuditLog.objects.exists()


def test_a_tier_tickets_were_uploaded_for_cannot_be_removed(event, db_snapshot):
    tier = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    TicketFactory(event=event, tier=tier, face_value=tier.face_value)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as error:
        event_tiers_set(actor=event.organizer, event=event, tiers=[])

    assert error.value.details == {"field": "tiers", "reason": "TIER_IN_USE", "tier_id": tier.pk}
    assert db_snapshot() == before


def test_changing_a_tier_leaves_the_tickets_face_value(event):
    tier = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    ticket = TicketFactory(event=event, tier=tier, face_value=tier.face_value)

    event_tiers_set(
        actor=event.organizer,
        event=event,
        tiers=[{"id": tier.pk, "name": "Standing", "face_value": "400.00"}],
    )

    ticket.refresh_from_db()
    assert ticket.face_value == Decimal("40.00")


@pytest.mark.parametrize(
    ("tiers", "reason", "index", "tier_field"),
    [
        ("Standing", "NOT_A_LIST", None, None),
        (["Standing"], "NOT_AN_OBJECT", 0, None),
        ([{"face_value": "10"}], "REQUIRED", 0, "name"),
        ([{"name": "  ", "face_value": "10"}], "REQUIRED", 0, "name"),
        ([{"name": "x" * 101, "face_value": "10"}], "TOO_LONG", 0, "name"),
        (
            [{"name": "A", "face_value": "10"}, {"name": "a", "face_value": "9"}],
            "DUPLICATE_NAME",
            1,
            "name",
        ),
        ([{"name": "A"}], "INVALID_NUMBER", 0, "face_value"),
        ([{"name": "A", "face_value": "ten"}], "INVALID_NUMBER", 0, "face_value"),
        ([{"name": "A", "face_value": "NaN"}], "INVALID_NUMBER", 0, "face_value"),
        ([{"name": "A", "face_value": 10.5}], "INVALID_NUMBER", 0, "face_value"),
        ([{"name": "A", "face_value": "0"}], "NOT_POSITIVE", 0, "face_value"),
        ([{"name": "A", "face_value": "10.001"}], "TOO_MANY_DECIMALS", 0, "face_value"),
        ([{"name": "A", "face_value": "100000.01"}], "TOO_LARGE", 0, "face_value"),
        ([{"name": "A", "face_value": "10", "fees": "-1"}], "NEGATIVE", 0, "fees"),
        ([{"name": "A", "face_value": "10", "id": "7"}], "INVALID_TIER", 0, "id"),
        ([{"name": "A", "face_value": "10", "id": 10**12}], "INVALID_TIER", 0, "id"),
        (
            [{"name": f"T{n}", "face_value": "10"} for n in range(TIERS_MAX + 1)],
            "TOO_MANY",
            None,
            None,
        ),
    ],
)
def test_bad_tiers_are_refused_on_their_row_and_change_nothing(
    event, db_snapshot, tiers, reason, index, tier_field
):
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as error:
        event_tiers_set(actor=event.organizer, event=event, tiers=tiers)

    details = error.value.details
    assert (details["field"], details["reason"]) == ("tiers", reason)
    assert details.get("index") == index
    assert details.get("tier_field") == tier_field
    assert db_snapshot() == before


def test_another_events_tier_cannot_be_changed_through_this_one(event):
    foreign = PriceTier.objects.create(event=EventFactory(), name="X", face_value=Decimal("5"))

    with pytest.raises(ValidationFailed) as error:
        event_tiers_set(
            actor=event.organizer,
            event=event,
            tiers=[{"id": foreign.pk, "name": "Mine now", "face_value": "1"}],
        )

    assert error.value.details["reason"] == "INVALID_TIER"
    foreign.refresh_from_db()
    assert foreign.name == "X"


@pytest.mark.parametrize("make_actor", [UserFactory, OrganizerFactory], ids=["fan", "organizer"])
def test_only_the_organizer_admins_and_staff_set_tiers(event, make_actor):
    with pytest.raises(PermissionDenied):
        event_tiers_set(actor=make_actor(), event=event, tiers=[{"name": "A", "face_value": "1"}])

    event_tiers_set(actor=StaffFactory(), event=event, tiers=[{"name": "A", "face_value": "1"}])
    assert tiers_of(event) == [("A", Decimal("1.00"), Decimal("0.00"))]


def test_tiers_come_with_the_event_create_and_update_services():
    organizer = OrganizerFactory()
    event = event_create(
        organizer=organizer,
        name="Lankum",
        event_date=timezone.localdate() + datetime.timedelta(days=40),
        venue_name="Vicar Street",
        city="Dublin",
        country="IE",
        tiers=[{"name": "Standing", "face_value": "39.00", "fees": "4.00"}],
    )
    assert tiers_of(event) == [("Standing", Decimal("39.00"), Decimal("4.00"))]

    event_update(actor=organizer, event=event, tiers=[])

    assert tiers_of(event) == []


def test_a_refused_tier_on_create_creates_no_event(db_snapshot):
    organizer = OrganizerFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed):
        event_create(
            organizer=organizer,
            name="Lankum",
            event_date=timezone.localdate() + datetime.timedelta(days=40),
            venue_name="Vicar Street",
            city="Dublin",
            country="IE",
            tiers=[{"name": "Standing", "face_value": "-1"}],
        )

    assert db_snapshot() == before


# --- the API -----------------------------------------------------------------------------


EVENTS = "/api/v1/events"


def event_body(**overrides):
    return {
        "name": "Encore Summer Night",
        "event_date": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
        "venue_name": "3Arena",
        "city": "Dublin",
        "country": "IE",
        "category": "concert",
        **overrides,
    }


def test_api_creates_an_event_with_its_tiers_and_shows_them(api_as, api):
    organizer = OrganizerFactory()
    body = event_body(
        status="published",
        tiers=[
            {"name": "Standing", "face_value": "49.50", "fees": "5.50"},
            {"name": "Seated", "face_value": "79.00"},
        ],
    )

    data = ok_data(api_as(organizer).post(EVENTS, body, format="json"), 201)

    assert [
        (t["name"], t["face_value"], t["fees"], t["original_price"]) for t in data["tiers"]
    ] == [
        ("Standing", "49.50", "5.50", "55.00"),
        ("Seated", "79.00", "0.00", "79.00"),
    ]
    # Anyone reading the catalogue sees them: sellers choose one on upload.
    listed = ok_data(api.get(EVENTS))
    assert [t["name"] for t in listed[0]["tiers"]] == ["Standing", "Seated"]


def test_api_update_replaces_the_tiers(api_as, event):
    tier = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))

    data = ok_data(
        api_as(event.organizer).patch(
            f"{EVENTS}/{event.pk}",
            {"tiers": [{"id": tier.pk, "name": "Standing", "face_value": "42.00"}]},
            format="json",
        )
    )

    assert [(t["id"], t["face_value"]) for t in data["tiers"]] == [(tier.pk, "42.00")]


def test_api_update_without_tiers_leaves_them(api_as, event):
    PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))

    data = ok_data(
        api_as(event.organizer).patch(f"{EVENTS}/{event.pk}", {"name": "New"}, format="json")
    )

    assert [t["name"] for t in data["tiers"]] == ["Standing"]


@pytest.mark.parametrize(
    "tiers",
    [
        [{"name": "A", "face_value": "-1"}],
        [{"name": "A", "face_value": "1.234"}],
        [{"face_value": "10"}],
        [{"name": "A", "face_value": "10"}, {"name": "A", "face_value": "10"}],
        "not a list",
    ],
)
def test_api_refuses_bad_tiers_with_400_and_changes_nothing(api_as, event, db_snapshot, tiers):
    before = db_snapshot()

    response = api_as(event.organizer).patch(
        f"{EVENTS}/{event.pk}", {"tiers": tiers}, format="json"
    )

    error_of(response, 400, "VALIDATION_ERROR")
    assert db_snapshot() == before


def test_api_another_organizer_cannot_set_tiers(api_as, event, db_snapshot):
    other = api_as(OrganizerFactory())
    before = db_snapshot()

    response = other.patch(
        f"{EVENTS}/{event.pk}", {"tiers": [{"name": "A", "face_value": "1"}]}, format="json"
    )

    error_of(response, 403, "FORBIDDEN")
    assert db_snapshot() == before


def test_api_removing_a_tier_in_use_is_refused(api_as, event):
    tier = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    TicketFactory(event=event, tier=tier, face_value=tier.face_value)

    response = api_as(event.organizer).patch(f"{EVENTS}/{event.pk}", {"tiers": []}, format="json")

    assert error_of(response, 400, "VALIDATION_ERROR")["details"]["reason"] == "TIER_IN_USE"


# --- the organizer's page ----------------------------------------------------------------


def page_form(event, rows=(), initial=0, **overrides):
    data = {
        "name": event.name,
        "description": event.description,
        "event_date": event.event_date.isoformat(),
        "event_time": event.event_time.strftime("%H:%M") if event.event_time else "",
        "venue_name": event.venue_name,
        "location": event.location,
        "city": event.city,
        "country": event.country,
        "postal_code": event.postal_code,
        "category": event.category,
        "status": event.status,
        "image_url": event.image_url,
        "tiers-TOTAL_FORMS": str(len(rows)),
        "tiers-INITIAL_FORMS": str(initial),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"tiers-{n}-{key}"] = value
    return {**data, **overrides}


def edit_url(event):
    return reverse("events:edit", args=[event.pk])


def test_the_edit_page_shows_the_price_list(client, event):
    PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    client.force_login(event.organizer)

    html = client.get(edit_url(event)).content.decode()

    assert "<legend>Price tiers</legend>" in html
    assert 'name="tiers-0-name" value="Standing"' in html
    assert 'name="tiers-TOTAL_FORMS" value="3"' in html  # the tier and two empty rows


def test_the_organizer_adds_changes_and_removes_tiers_on_the_page(client, event):
    keep = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    drop = PriceTier.objects.create(event=event, name="Balcony", face_value=Decimal("30"))
    client.force_login(event.organizer)

    response = client.post(
        edit_url(event),
        page_form(
            event,
            rows=[
                {"id": keep.pk, "name": "Standing", "face_value": "42.00", "fees": "3.00"},
                {"id": drop.pk, "name": "Balcony", "face_value": "30.00", "DELETE": "on"},
                {"name": "VIP", "face_value": "120.00", "fees": ""},
                {"name": "", "face_value": "", "fees": ""},  # an empty row is no tier
            ],
            initial=2,
        ),
    )

    assert response.status_code == 302
    assert tiers_of(event) == [
        ("Standing", Decimal("42.00"), Decimal("3.00")),
        ("VIP", Decimal("120.00"), Decimal("0.00")),
    ]


def test_a_refused_tier_is_shown_on_its_row_and_changes_nothing(client, event, db_snapshot):
    client.force_login(event.organizer)
    before = db_snapshot()

    response = client.post(
        edit_url(event),
        page_form(
            event,
            rows=[
                {"name": "Standing", "face_value": "40.00"},
                {"name": "standing", "face_value": "45.00"},
            ],
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Two tiers are called standing." in html
    assert "Please correct" in html
    assert db_snapshot() == before


def test_removing_a_tier_in_use_on_the_page_is_refused(client, event, db_snapshot):
    tier = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    TicketFactory(event=event, tier=tier, face_value=tier.face_value)
    client.force_login(event.organizer)
    before = db_snapshot()

    response = client.post(
        edit_url(event),
        page_form(
            event,
            rows=[{"id": tier.pk, "name": "Standing", "face_value": "40", "DELETE": "on"}],
            initial=1,
        ),
    )

    assert response.status_code == 200
    assert "it cannot be removed" in response.content.decode()
    assert db_snapshot() == before


def test_a_new_event_is_created_with_its_tiers_on_the_page(client):
    organizer = OrganizerFactory()
    client.force_login(organizer)
    template = EventFactory.build(organizer=organizer, status=Event.Status.DRAFT)

    response = client.post(
        reverse("events:create"),
        page_form(template, rows=[{"name": "Standing", "face_value": "35.00", "fees": "2.50"}]),
    )

    assert response.status_code == 302
    event = Event.objects.get(organizer=organizer)
    assert tiers_of(event) == [("Standing", Decimal("35.00"), Decimal("2.50"))]


# --- the admin ---------------------------------------------------------------------------


def admin_form(event, rows, initial=0):
    data = {
        "name": event.name,
        "description": event.description,
        "category": event.category,
        "status": event.status,
        "organizer": event.organizer_id,
        "event_date": event.event_date.isoformat(),
        "event_time": event.event_time.strftime("%H:%M:%S") if event.event_time else "",
        "venue_name": event.venue_name,
        "location": event.location,
        "city": event.city,
        "postal_code": event.postal_code,
        "country": event.country,
        "latitude": "",
        "longitude": "",
        "currency": event.currency,
        "image_url": event.image_url,
        "metadata": "{}",
        "venue_capacity": event.venue_capacity or "",
        "primary_purchase_limit": event.primary_purchase_limit,
        "price_tiers-TOTAL_FORMS": str(len(rows)),
        "price_tiers-INITIAL_FORMS": str(initial),
        "price_tiers-MIN_NUM_FORMS": "0",
        "price_tiers-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"price_tiers-{n}-{key}"] = value
        data[f"price_tiers-{n}-event"] = event.pk
    return data


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_staff_keep_the_tiers_of_a_catalogue_event_in_the_admin_audited(staff_client, event):
    url = reverse("admin:events_event_change", args=[event.pk])

    response = staff_client.post(
        url, admin_form(event, [{"name": "Standing", "face_value": "40.00", "fees": "4.00"}])
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert tiers_of(event) == [("Standing", Decimal("40.00"), Decimal("4.00"))]
    entry = AuditLog.objects.get(action="event.admin_tiers_changed")
    assert entry.changes["tiers"] == {"from": [], "to": [["Standing", "40.00", "4.00"]]}


def test_the_admin_will_not_delete_a_tier_tickets_use(staff_client, event):
    tier = PriceTier.objects.create(event=event, name="Standing", face_value=Decimal("40"))
    TicketFactory(event=event, tier=tier, face_value=tier.face_value)
    url = reverse("admin:events_event_change", args=[event.pk])

    response = staff_client.post(
        url,
        admin_form(
            event,
            [
                {
                    "id": tier.pk,
                    "name": "Standing",
                    "face_value": "40.00",
                    "fees": "0.00",
                    "DELETE": "on",
                }
            ],
            initial=1,
        ),
    )

    assert response.status_code == 200
    assert PriceTier.objects.filter(pk=tier.pk).exists()


def test_the_admin_refuses_a_tier_at_zero(staff_client, event):
    url = reverse("admin:events_event_change", args=[event.pk])

    response = staff_client.post(
        url, admin_form(event, [{"name": "Free", "face_value": "0.00", "fees": "0.00"}])
    )

    assert response.status_code == 200
    assert not PriceTier.objects.exists()


@pytest.mark.parametrize(("capacity", "flagged"), [(3000, True), (800, False)])
def test_an_irish_event_added_in_the_admin_is_designated_by_its_venue(
    staff_client, capacity, flagged
):
    new = EventFactory.build(
        organizer=OrganizerFactory(), country="IE", city="Dublin", venue_capacity=capacity
    )
    data = admin_form(new, [])
    data.pop("price_tiers-0-event", None)

    response = staff_client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Event.objects.get(name=new.name).resale_at_original_price is flagged
