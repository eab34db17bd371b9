"""The partner API for listings: /api/v1/listings and /api/v1/listings/<id>."""

import datetime
import json
from decimal import Decimal
from unittest.mock import ANY

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory, listing_of_new_event
from marketplace.core.models import AuditLog
from marketplace.testing import error_of as _error
from marketplace.testing import in_days
from marketplace.testing import ok_body as _ok
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

LISTINGS = "/api/v1/listings"


def _detail(listing_or_id):
    return f"{LISTINGS}/{getattr(listing_or_id, 'pk', listing_or_id)}"


def _ids(body):
    return [row["id"] for row in body["data"]]


def _ticket(owner, *, category="concert", face_value="50.00", **fields):
    event = EventFactory(category=category)
    return TicketFactory(event=event, owner=owner, face_value=Decimal(face_value), **fields)


def _keys(value):
    """Every key of every object in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {key for child in value.values() for key in _keys(child)}
    if isinstance(value, list):
        return {key for child in value for key in _keys(child)}
    return set()


# GET /listings: search


def test_anyone_can_search_listings_without_a_token(api):
    listing = listing_of_new_event()

    body = _ok(api.get(LISTINGS))

    assert _ids(body) == [listing.pk]
    row = body["data"][0]
    assert row["status"] == "active"
    assert row["price"] == "55.00"
    assert row["currency"] == "EUR"
    assert row["event"]["id"] == listing.ticket.event_id
    assert row["ticket"]["face_value"] == "50.00"
    assert row["seller"]["id"] == listing.seller.public_id
    assert body["meta"]["pagination"] == {
        "page": 1,
        "limit": 20,
        "total": 1,
        "totalPages": 1,
        "totalExact": True,
        "nextCursor": None,
    }


def test_search_shows_only_active_listings_of_published_upcoming_events(api):
    shown = listing_of_new_event()
    event = EventFactory()
    for status in ("pending", "sold", "cancelled", "expired"):
        ListingFactory(ticket__event=event, status=status)
    for status in (Event.Status.DRAFT, Event.Status.CANCELLED, Event.Status.COMPLETED):
        listing_of_new_event(status=status)
    listing_of_new_event(event_date=in_days(-1))
    now = timezone.now()
    ListingFactory(  # past its expiry, not yet expired by the job: cannot be bought
        listed_at=now - datetime.timedelta(days=2), expires_at=now - datetime.timedelta(minutes=1)
    )

    body = _ok(api.get(LISTINGS))

    assert _ids(body) == [shown.pk]
    assert body["meta"]["pagination"]["total"] == 1


@pytest.mark.parametrize(
    ("filter_name", "value", "matching", "other"),
    [
        ("category", "sports", {"category": "sports"}, {"category": "concert"}),
        ("city", "cork", {"city": "Cork"}, {"city": "Dublin"}),
        ("date_from", 10, {"event_date": 15}, {"event_date": 5}),
        ("date_to", 10, {"event_date": 5}, {"event_date": 15}),
        ("min_price", "50.00", {"price": "50.00"}, {"price": "49.99"}),
        ("max_price", "45.00", {"price": "45.00"}, {"price": "45.01"}),
    ],
)
def test_each_filter_narrows_the_listings(api, filter_name, value, matching, other):
    def make(fields):
        fields = dict(fields)
        if "event_date" in fields:
            fields["event_date"] = in_days(fields["event_date"])
        return listing_of_new_event(**fields)

    if filter_name.startswith("date_"):
        value = in_days(value).isoformat()
    wanted = make(matching)
    make(other)

    body = _ok(api.get(LISTINGS, {filter_name: value}))

    assert _ids(body) == [wanted.pk]
    assert body["meta"]["pagination"]["total"] == 1


def test_the_event_filter_keeps_that_events_listings(api):
    event = EventFactory()
    mine = [ListingFactory(ticket__event=event, price=price) for price in ("45.00", "55.00")]
    listing_of_new_event()

    body = _ok(api.get(LISTINGS, {"event_id": event.pk}))

    assert _ids(body) == [listing.pk for listing in mine]


def test_empty_filters_do_not_filter(api):
    listing = listing_of_new_event()

    query = {"event_id": "", "category": "", "city": "", "min_price": "", "date_to": ""}
    body = _ok(api.get(LISTINGS, query))

    assert _ids(body) == [listing.pk]


def test_a_city_of_only_spaces_does_not_filter(api):
    listing = listing_of_new_event(city="Cork")

    body = _ok(api.get(LISTINGS, {"city": "   "}))

    assert _ids(body) == [listing.pk]


def _four_listings():
    """(cheap and late, dear and soon, cheap and soon, dear and late)."""
    return (
        listing_of_new_event(price="42.00", event_date=in_days(20)),
        listing_of_new_event(price="58.00", event_date=in_days(2)),
        listing_of_new_event(price="45.00", event_date=in_days(5)),
        listing_of_new_event(price="51.00", event_date=in_days(30)),
    )


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, (0, 2, 3, 1)),
        ("price", (0, 2, 3, 1)),
        ("-price", (1, 3, 2, 0)),
        ("date", (1, 2, 0, 3)),
        ("-date", (3, 0, 2, 1)),
    ],
)
def test_listings_are_ordered_as_asked(api, ordering, expected):
    listings = _four_listings()

    body = _ok(api.get(LISTINGS, {"ordering": ordering} if ordering else {}))

    assert _ids(body) == [listings[index].pk for index in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"ordering": "cheapest"}, "ordering"),
        ({"ordering": "id"}, "ordering"),
        ({"min_price": "60.00", "max_price": "50.00"}, "max_price"),
        ({"min_price": "-1.00"}, "min_price"),
        ({"max_price": "-0.01"}, "max_price"),
        ({"min_price": "abc"}, "min_price"),
        ({"max_price": "10.001"}, "max_price"),
        ({"min_price": "NaN"}, "min_price"),
        ({"event_id": "abc"}, "event_id"),
        ({"event_id": "0"}, "event_id"),
        ({"event_id": "1" * 20}, "event_id"),
        ({"category": "opera"}, "category"),
        ({"date_from": "soon"}, "date_from"),
        ({"date_from": in_days(10).isoformat(), "date_to": in_days(5).isoformat()}, "date_to"),
    ],
)
def test_a_bad_filter_is_a_validation_error(api, query, field):
    listing_of_new_event()

    error = _error(api.get(LISTINGS, query), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field


@pytest.mark.parametrize("query", [{"page": 0}, {"page": "x"}, {"limit": 0}, {"limit": -1}])
def test_a_bad_page_or_limit_is_a_validation_error(api, query):
    error = _error(api.get(LISTINGS, query), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "INVALID_PAGINATION"


def test_pages_split_the_listings(api):
    listings = [listing_of_new_event(price=f"{40 + n}.00") for n in range(5)]

    body = _ok(api.get(LISTINGS, {"limit": 2, "page": 2}))

    assert _ids(body) == [listings[2].pk, listings[3].pk]
    assert body["meta"]["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "totalExact": True,
        "nextCursor": ANY,
    }


def test_each_listing_carries_its_fee_breakdown(api):
    listing_of_new_event(price="55.00")

    row = _ok(api.get(LISTINGS))["data"][0]

    assert row["fee_breakdown"] == {
        "currency": "EUR",
        "face_value": "50.00",
        "original_fees": "0.00",
        "original_price": "50.00",
        "price": "55.00",
        "markup_percent": "10.0",
        "max_markup_percent": "20.0",
        "rule": "Encore's cap for concert events: at most 20% above face value",
        "cap_basis": "face_value_markup",
        "max_price": "60.00",
        "min_price": "40.00",
        "platform_fee_rate": "0.0800",
        "platform_fee": "4.40",
        "seller_payout": "50.60",
        "buyer_total": "55.00",
    }


@pytest.mark.parametrize(
    ("price", "fee", "payout"),
    [
        ("55.00", "4.40", "50.60"),
        ("56.19", "4.50", "51.69"),  # 4.4952: rounded, not cut, to the cent
        ("56.31", "4.50", "51.81"),  # 4.5048
        ("40.06", "3.20", "36.86"),  # 3.2048
        ("59.99", "4.80", "55.19"),  # 4.7992
    ],
)
def test_the_platform_fee_is_8_percent_rounded_to_the_cent_and_the_payout_the_rest(
    api, price, fee, payout
):
    listing = listing_of_new_event(price=price)

    breakdown = _ok(api.get(_detail(listing)))["data"]["fee_breakdown"]

    assert (breakdown["platform_fee"], breakdown["seller_payout"]) == (fee, payout)
    assert Decimal(breakdown["platform_fee"]) + Decimal(breakdown["seller_payout"]) == Decimal(
        price
    )


def test_no_barcode_file_or_seller_email_is_ever_shown(api, api_as):
    listing = listing_of_new_event()
    ticket, seller = listing.ticket, listing.seller

    for client in (api, api_as(UserFactory()), api_as(seller)):
        for response in (client.get(LISTINGS), client.get(_detail(listing))):
            body = _ok(response)
            keys = _keys(body)
            text = response.content.decode()
            assert not keys & {"barcode", "barcode_hash", "barcode_last4", "file", "email"}
            assert seller.email not in text
            assert ticket.barcode_hash not in text
            assert ticket.file.name not in text


def _listings_on_sale(count):
    for day in range(count):
        listing_of_new_event(event_date=in_days(day + 1))


def _queries_for_search(client):
    with CaptureQueriesContext(connection) as captured:
        body = _ok(client.get(LISTINGS))
    return len(captured), body


def test_a_page_of_search_results_costs_the_same_queries_for_2_and_20_listings(api):
    _listings_on_sale(2)
    for_two, body = _queries_for_search(api)
    assert len(body["data"]) == 2

    _listings_on_sale(18)
    cache.clear()  # rows made by factories, not the services: build the page again
    for_twenty, body = _queries_for_search(api)

    assert len(body["data"]) == 20
    assert for_twenty == for_two


# GET /listings/<id>


def test_anyone_can_read_an_active_listing(api, api_as):
    listing = listing_of_new_event()

    for client in (api, api_as(UserFactory())):
        data = _ok(client.get(_detail(listing)))["data"]
        assert data["id"] == listing.pk
        assert data["fee_breakdown"]["seller_payout"] == "50.60"


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
        ("cancelled", 410, "LISTING_EXPIRED"),
        ("sold", 410, "LISTING_EXPIRED"),
        ("expired", 410, "LISTING_EXPIRED"),
        ("pending", 409, "TICKET_NOT_AVAILABLE"),
    ],
)
def test_a_closed_listing_tells_others_it_is_gone(api, api_as, status, answer, code):
    # (The details of each answer: test_gone_listing.py.)
    listing = ListingFactory(status=status)

    _error(api.get(_detail(listing)), answer, code)
    _error(api_as(UserFactory()).get(_detail(listing)), answer, code)


@pytest.mark.parametrize("status", ["cancelled", "sold", "pending", "expired"])
def test_a_closed_listing_is_visible_to_its_seller_and_staff(api_as, status):
    listing = ListingFactory(status=status)

    for user in (listing.seller, StaffFactory()):
        data = _ok(api_as(user).get(_detail(listing)))["data"]
        assert (data["id"], data["status"]) == (listing.pk, status)


@pytest.mark.parametrize("path", ["999999", "12345678901234567890", "abc"])
def test_an_unknown_listing_is_not_found(api, path):
    listing_of_new_event()

    _error(api.get(f"{LISTINGS}/{path}"), 404, "NOT_FOUND")


# POST /listings


def test_the_tickets_owner_lists_it(api_as):
    seller = UserFactory()
    ticket = _ticket(seller)

    response = api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": "55.00"})

    data = _ok(response, 201)["data"]

    listing = Listing.objects.get()
    ticket.refresh_from_db()
    assert data["id"] == listing.pk
    assert (data["status"], data["price"]) == ("active", "55.00")
    assert data["seller"]["id"] == seller.public_id
    assert data["fee_breakdown"]["platform_fee"] == "4.40"
    assert data["fee_breakdown"]["seller_payout"] == "50.60"
    assert (listing.seller, listing.status, listing.price) == (seller, "active", Decimal("55.00"))
    assert listing.expires_at == ticket.event.starts_at
    assert ticket.status == Ticket.Status.LISTED
    assert set(AuditLog.objects.values_list("action", flat=True)) == {
        "listing.created",
        "ticket.listed",
    }


CAPS = {
    "concert": "60.00",
    "sports": "57.50",
    "theater": "62.50",
    "festival": "65.00",
    "other": "60.00",
}


@pytest.mark.parametrize(("category", "cap"), CAPS.items())
def test_a_price_at_the_categorys_cap_is_accepted(api_as, category, cap):
    seller = UserFactory()
    ticket = _ticket(seller, category=category)

    data = _ok(api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": cap}), 201)["data"]

    assert data["price"] == cap
    assert data["fee_breakdown"]["max_price"] == cap


@pytest.mark.parametrize(("category", "cap"), CAPS.items())
def test_a_price_over_the_categorys_cap_is_refused_with_the_rules_details(
    api_as, db_snapshot, category, cap
):
    seller = UserFactory()
    ticket = _ticket(seller, category=category)
    provided = str(Decimal(cap) + Decimal("0.01"))
    before = db_snapshot()

    response = api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": provided})

    error = _error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": cap,
        "provided": provided,
    }
    assert db_snapshot() == before


@pytest.mark.parametrize("category", CAPS)
def test_a_price_below_80_percent_of_face_value_is_refused_with_the_rules_details(
    api_as, db_snapshot, category
):
    seller = UserFactory()
    ticket = _ticket(seller, category=category)
    before = db_snapshot()

    response = api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": "39.99"})

    error = _error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {
        "field": "price",
        "reason": "PRICE_BELOW_MINIMUM",
        "minAllowed": "40.00",
        "provided": "39.99",
    }
    assert db_snapshot() == before


def test_a_price_at_the_floor_is_accepted(api_as):
    seller = UserFactory()
    ticket = _ticket(seller)

    response = api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": "40.00"})

    assert _ok(response, 201)["data"]["price"] == "40.00"


def test_caps_round_towards_the_allowed_range_for_odd_face_values(api_as):
    seller = UserFactory()
    ticket = _ticket(seller, face_value="33.33")  # cap 39.996, floor 26.664
    client = api_as(seller)

    over = client.post(LISTINGS, {"ticket_id": ticket.pk, "price": "40.00"})
    under = client.post(LISTINGS, {"ticket_id": ticket.pk, "price": "26.66"})

    assert _error(over, 400, "VALIDATION_ERROR")["details"]["maxAllowed"] == "39.99"
    assert _error(under, 400, "VALIDATION_ERROR")["details"]["minAllowed"] == "26.67"


@pytest.mark.parametrize(
    "price",
    [
        "-5.00",
        "-0.01",
        "abc",
        "55.001",
        "55.5.5",
        "1e9",
        1e9,
        "1e12",
        "NaN",
        "Infinity",
        "",
        None,
        True,
        [55],
        {"amount": "55.00"},
    ],
    ids=repr,
)
def test_a_price_that_is_not_an_allowed_amount_is_refused(api_as, db_snapshot, price):
    seller = UserFactory()
    ticket = _ticket(seller)
    before = db_snapshot()

    response = api_as(seller).post(
        LISTINGS,
        data=json.dumps({"ticket_id": ticket.pk, "price": price}),
        content_type="application/json",
    )

    error = _error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "price"
    assert db_snapshot() == before


@pytest.mark.parametrize("body", [{"price": "55.00"}, {"ticket_id": "x", "price": "55.00"}])
def test_a_missing_or_bad_ticket_id_is_refused(api_as, db_snapshot, body):
    seller = UserFactory()
    _ticket(seller)
    before = db_snapshot()

    error = _error(api_as(seller).post(LISTINGS, body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == "ticket_id"
    assert db_snapshot() == before


def test_listing_someone_elses_ticket_is_not_found(api_as, db_snapshot):
    ticket = _ticket(UserFactory())
    intruder = UserFactory()
    before = db_snapshot()

    response = api_as(intruder).post(LISTINGS, {"ticket_id": ticket.pk, "price": "55.00"})

    _error(response, 404, "NOT_FOUND")
    assert db_snapshot() == before


def test_listing_an_unknown_ticket_is_not_found(api_as):
    response = api_as(UserFactory()).post(LISTINGS, {"ticket_id": 999999, "price": "55.00"})

    _error(response, 404, "NOT_FOUND")


def test_a_ticket_already_listed_cannot_be_listed_again(api_as, db_snapshot):
    listing = listing_of_new_event()
    before = db_snapshot()

    response = api_as(listing.seller).post(
        LISTINGS, {"ticket_id": listing.ticket_id, "price": "50.00"}
    )

    _error(response, 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before


@pytest.mark.parametrize("status", ["reserved", "sold", "void"])
def test_a_ticket_reserved_sold_or_void_cannot_be_listed(api_as, db_snapshot, status):
    seller = UserFactory()
    ticket = _ticket(seller, status=status)
    before = db_snapshot()

    response = api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": "55.00"})

    _error(response, 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before


def test_a_ticket_for_an_event_not_on_sale_cannot_be_listed(api_as, db_snapshot):
    seller = UserFactory()
    ticket = TicketFactory(owner=seller, event=EventFactory(status=Event.Status.CANCELLED))
    before = db_snapshot()

    response = api_as(seller).post(LISTINGS, {"ticket_id": ticket.pk, "price": "55.00"})

    error = _error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "EVENT_NOT_ON_SALE"
    assert db_snapshot() == before


@pytest.mark.parametrize("status", [User.Status.SUSPENDED, User.Status.BANNED])
def test_a_blocked_seller_is_refused_by_the_token_layer(api_as, db_snapshot, status):
    seller = UserFactory()
    ticket = _ticket(seller)
    client = api_as(seller)  # the token was issued before the account was blocked
    User.objects.filter(pk=seller.pk).update(status=status)
    before = db_snapshot()

    response = client.post(LISTINGS, {"ticket_id": ticket.pk, "price": "55.00"})

    _error(response, 401, "UNAUTHORIZED")
    assert db_snapshot() == before


def test_listing_needs_a_token(api, db_snapshot):
    ticket = _ticket(UserFactory())
    before = db_snapshot()

    _error(api.post(LISTINGS, {"ticket_id": ticket.pk, "price": "55.00"}), 401, "UNAUTHORIZED")

    assert db_snapshot() == before


def test_seller_status_and_face_value_in_the_body_are_ignored(api_as):
    seller = UserFactory()
    other = UserFactory()
    ticket = _ticket(seller)
    body = {
        "ticket_id": ticket.pk,
        "price": "55.00",
        "seller": other.pk,
        "seller_id": other.pk,
        "status": "sold",
        "face_value": "500.00",
    }

    data = _ok(api_as(seller).post(LISTINGS, body), 201)["data"]

    listing = Listing.objects.get()
    ticket.refresh_from_db()
    assert (listing.seller, listing.status) == (seller, Listing.Status.ACTIVE)
    assert ticket.face_value == Decimal("50.00")
    assert (data["seller"]["id"], data["status"]) == (seller.public_id, "active")
    assert data["ticket"]["face_value"] == "50.00"


def test_a_face_value_in_the_body_does_not_raise_the_cap(api_as, db_snapshot):
    seller = UserFactory()
    ticket = _ticket(seller)
    before = db_snapshot()

    response = api_as(seller).post(
        LISTINGS, {"ticket_id": ticket.pk, "price": "500.00", "face_value": "500.00"}
    )

    assert _error(response, 400, "VALIDATION_ERROR")["details"]["maxAllowed"] == "60.00"
    assert db_snapshot() == before


# PUT and PATCH /listings/<id>: the price


@pytest.mark.parametrize("method", ["put", "patch"])
def test_the_seller_changes_the_price_within_the_caps(api_as, method):
    listing = listing_of_new_event(price="55.00")

    response = getattr(api_as(listing.seller), method)(_detail(listing), {"price": "58.00"})

    data = _ok(response)["data"]

    listing.refresh_from_db()
    assert listing.price == Decimal("58.00")
    assert data["price"] == "58.00"
    assert data["fee_breakdown"]["platform_fee"] == "4.64"
    assert data["fee_breakdown"]["seller_payout"] == "53.36"
    row = AuditLog.objects.get(action="listing.price_changed")
    assert row.changes == {"price": {"from": "55.00", "to": "58.00"}}


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    ("price", "details"),
    [
        (
            "60.01",
            {
                "field": "price",
                "reason": "PRICE_EXCEEDS_MAX_MARKUP",
                "maxAllowed": "60.00",
                "provided": "60.01",
            },
        ),
        (
            "39.99",
            {
                "field": "price",
                "reason": "PRICE_BELOW_MINIMUM",
                "minAllowed": "40.00",
                "provided": "39.99",
            },
        ),
    ],
)
def test_a_new_price_outside_the_caps_is_refused_with_the_details(
    api_as, db_snapshot, method, price, details
):
    listing = listing_of_new_event(price="55.00")
    before = db_snapshot()

    response = getattr(api_as(listing.seller), method)(_detail(listing), {"price": price})

    assert _error(response, 400, "VALIDATION_ERROR")["details"] == details
    assert db_snapshot() == before


@pytest.mark.parametrize("category", ["sports", "festival"])
def test_a_new_price_is_checked_against_the_categorys_own_cap(api_as, category):
    listing = listing_of_new_event(price="55.00", category=category)
    cap = CAPS[category]
    client = api_as(listing.seller)

    over = client.put(_detail(listing), {"price": str(Decimal(cap) + Decimal("0.01"))})
    at_cap = client.put(_detail(listing), {"price": cap})

    assert _error(over, 400, "VALIDATION_ERROR")["details"]["maxAllowed"] == cap
    assert _ok(at_cap)["data"]["price"] == cap


@pytest.mark.parametrize("price", ["abc", "-1.00", "55.001", None])
def test_a_new_price_that_is_not_an_amount_is_refused(api_as, db_snapshot, price):
    listing = listing_of_new_event()
    before = db_snapshot()

    response = api_as(listing.seller).put(
        _detail(listing), data=json.dumps({"price": price}), content_type="application/json"
    )

    assert _error(response, 400, "VALIDATION_ERROR")["details"]["field"] == "price"
    assert db_snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_another_user_cannot_change_the_price(api_as, db_snapshot, method):
    listing = listing_of_new_event(price="55.00")
    intruder = UserFactory()
    before = db_snapshot()

    response = getattr(api_as(intruder), method)(_detail(listing), {"price": "45.00"})

    _error(response, 404, "NOT_FOUND")
    listing.refresh_from_db()
    assert listing.price == Decimal("55.00")
    assert db_snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_the_price_of_a_reserved_listing_cannot_change(api_as, db_snapshot, method):
    listing = ListingFactory(status=Listing.Status.PENDING, price=Decimal("55.00"))
    before = db_snapshot()

    response = getattr(api_as(listing.seller), method)(_detail(listing), {"price": "50.00"})

    _error(response, 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before


def test_changing_the_price_needs_a_token(api, db_snapshot):
    listing = listing_of_new_event()
    before = db_snapshot()

    _error(api.put(_detail(listing), {"price": "50.00"}), 401, "UNAUTHORIZED")

    assert db_snapshot() == before


def test_only_the_price_changes_whatever_else_the_body_says(api_as):
    listing = listing_of_new_event(price="55.00")
    other = UserFactory()

    response = api_as(listing.seller).patch(
        _detail(listing),
        {"price": "50.00", "status": "sold", "seller": other.pk, "face_value": "500.00"},
    )

    assert _ok(response)["data"]["price"] == "50.00"
    listing.refresh_from_db()
    listing.ticket.refresh_from_db()
    assert (listing.price, listing.status, listing.seller_id) == (
        Decimal("50.00"),
        Listing.Status.ACTIVE,
        listing.ticket.owner_id,
    )
    assert listing.ticket.face_value == Decimal("50.00")


# DELETE /listings/<id>


def test_the_seller_takes_a_listing_off_sale_and_the_ticket_is_available_again(api_as):
    listing = listing_of_new_event()

    data = _ok(api_as(listing.seller).delete(_detail(listing)))["data"]

    listing.refresh_from_db()
    listing.ticket.refresh_from_db()
    assert data["status"] == listing.status == Listing.Status.CANCELLED
    assert listing.ticket.status == Ticket.Status.AVAILABLE
    assert set(AuditLog.objects.values_list("action", flat=True)) == {
        "listing.cancelled",
        "ticket.unlisted",
    }


def test_a_ticket_taken_off_sale_can_be_listed_again(api_as):
    listing = listing_of_new_event()
    client = api_as(listing.seller)
    _ok(client.delete(_detail(listing)))

    response = client.post(LISTINGS, {"ticket_id": listing.ticket_id, "price": "52.00"})

    assert _ok(response, 201)["data"]["price"] == "52.00"


def test_staff_take_a_listing_off_sale(api_as):
    listing = listing_of_new_event()

    data = _ok(api_as(StaffFactory()).delete(_detail(listing)))["data"]

    listing.refresh_from_db()
    assert data["status"] == listing.status == Listing.Status.CANCELLED
    assert AuditLog.objects.get(action="listing.cancelled").actor.is_staff


def test_another_user_cannot_take_a_listing_off_sale(api_as, db_snapshot):
    listing = listing_of_new_event()
    intruder = UserFactory()
    before = db_snapshot()

    _error(api_as(intruder).delete(_detail(listing)), 404, "NOT_FOUND")

    assert db_snapshot() == before


def test_taking_a_listing_off_sale_twice_is_a_conflict(api_as, db_snapshot):
    listing = listing_of_new_event()
    client = api_as(listing.seller)
    _ok(client.delete(_detail(listing)))
    before = db_snapshot()

    _error(client.delete(_detail(listing)), 409, "TICKET_NOT_AVAILABLE")

    assert db_snapshot() == before


def test_a_reserved_listing_cannot_be_taken_off_sale(api_as, db_snapshot):
    listing = ListingFactory(status=Listing.Status.PENDING)
    before = db_snapshot()

    _error(api_as(listing.seller).delete(_detail(listing)), 409, "TICKET_NOT_AVAILABLE")

    assert db_snapshot() == before


def test_taking_a_listing_off_sale_needs_a_token(api, db_snapshot):
    listing = listing_of_new_event()
    before = db_snapshot()

    _error(api.delete(_detail(listing)), 401, "UNAUTHORIZED")

    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "€55.00"), ("nl", "€ 55,00"), ("de", "55,00 €"), ("fr", "55,00 €"), ("es", "55,00 €")],
)
def test_a_listing_says_its_price_for_people_in_the_answers_language(api, language, text):
    listing = listing_of_new_event()

    row = _ok(api.get(_detail(listing), HTTP_ACCEPT_LANGUAGE=language))["data"]

    # The amount and its code stay what programs read; price_text is for people.
    assert (row["price"], row["currency"]) == ("55.00", "EUR")
    assert row["price_text"].replace("\xa0", " ").replace("\u202f", " ") == text
