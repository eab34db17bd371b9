"""Original-price caps and country rules (issue 15, part 3): one rule per event,
decided by listings.pricing.resale_rule, said the same way by every page and the API.

- GB: at most the original price (face value + unavoidable fees).
- IE, events flagged resale_at_original_price (designated): the same, in the
  words of Ireland's Sale of Tickets Act 2021; venues of 1,000+ are flagged.
- AU: at most 10% above the original price.
- Elsewhere: the category's markup over face value, as before.
"""

import re
from decimal import Decimal as D
from html import unescape

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from events.models import Event
from events.services import event_create, event_update
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.price_quote import price_quote
from listings.pricing import (
    FACE_VALUE_MARKUP,
    ORIGINAL_PRICE,
    ORIGINAL_PRICE_MARKUP,
    fee_breakdown,
    price_limits,
    price_validate,
    resale_rule,
    resale_rule_for,
)
from listings.services import listing_create, listing_update_price
from listings.tests.factories import ListingFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.testing import error_of, ok_data
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

UK = "UK law: at most the original price"
IRISH = "Irish law (Sale of Tickets Act 2021): at most the original price"
AUSTRALIAN = "Australian law: at most 10% above the original price"


def gb_event(**fields):
    fields = {"country": "GB", "currency": "GBP", "city": "London", **fields}
    return EventFactory(**fields)


def au_event(**fields):
    fields = {"country": "AU", "currency": "AUD", "time_zone": "Australia/Sydney", **fields}
    return EventFactory(city="Sydney", **fields)


def ticket_of(event, *, face_value="100.00", fees="10.00", **fields):
    return TicketFactory(event=event, face_value=D(face_value), original_fees=D(fees), **fields)


# --- the rule: pure functions ----------------------------------------------------------


def test_gb_allows_at_most_the_original_price_whatever_the_category():
    rule = resale_rule(category="festival", country="GB")

    limits = price_limits(face_value="100.00", original_fees="10.00", rule=rule)

    assert (rule.cap_basis, rule.markup, rule.text) == (ORIGINAL_PRICE, D("0"), UK)
    assert (limits.max_price, limits.min_price) == (D("110.00"), D("80.00"))
    with pytest.raises(ValidationFailed) as caught:
        price_validate(price="110.01", face_value="100.00", original_fees="10.00", rule=rule)
    assert caught.value.details == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": "110.00",
        "provided": "110.01",
    }
    assert UK in caught.value.message
    assert price_validate(
        price="110.00", face_value="100.00", original_fees="10.00", rule=rule
    ) == D("110.00")


def test_gb_without_fees_is_face_value_only_and_the_floor_stays_80_percent_of_face():
    limits = price_limits(face_value="50.00", category="concert", country="gb")

    assert (limits.min_price, limits.max_price) == (D("40.00"), D("50.00"))


def test_an_irish_event_takes_the_category_markup_unless_designated():
    plain = resale_rule(category="concert", country="IE")
    designated = resale_rule(category="concert", country="IE", at_original_price=True)

    assert (plain.cap_basis, plain.markup) == (FACE_VALUE_MARKUP, D("0.20"))
    assert (designated.cap_basis, designated.text) == (ORIGINAL_PRICE, IRISH)
    assert price_limits(face_value="100", original_fees="10", rule=plain).max_price == D("120.00")
    assert price_limits(face_value="100", original_fees="10", rule=designated).max_price == D(
        "110.00"
    )


def test_australia_allows_ten_percent_above_the_original_price_rounded_down():
    rule = resale_rule(category="sports", country="AU")

    assert (rule.cap_basis, rule.markup, rule.text) == (
        ORIGINAL_PRICE_MARKUP,
        D("0.10"),
        AUSTRALIAN,
    )
    assert price_limits(face_value="100.00", original_fees="10.00", rule=rule).max_price == D(
        "121.00"
    )
    # 1.10 x 33.33 = 36.663: never above the exact cap.
    assert price_limits(face_value="30.00", original_fees="3.33", rule=rule).max_price == D("36.66")


@pytest.mark.parametrize(
    ("category", "max_price"),
    [("concert", "120.00"), ("sports", "115.00"), ("theater", "125.00"), ("festival", "130.00")],
)
def test_elsewhere_the_category_markup_over_face_value_applies_fees_aside(category, max_price):
    rule = resale_rule(category=category, country="FR")

    limits = price_limits(face_value="100.00", original_fees="10.00", rule=rule)

    assert rule.cap_basis == FACE_VALUE_MARKUP
    assert limits.max_price == D(max_price)
    assert rule.text.startswith(f"Encore's cap for {category} events: at most")


def test_the_country_markup_overrides_still_work_outside_the_laws(settings):
    settings.PRICE_MARKUP_CAPS_BY_COUNTRY = {"FR": {"*": "0.05"}, "GB": {"*": "0.50"}}

    assert price_limits(face_value="100", category="concert", country="FR").max_price == D("105.00")
    # A law wins over Encore's own markup for the country.
    assert price_limits(face_value="100", category="concert", country="GB").max_price == D("100.00")


def test_a_staff_flagged_event_outside_ireland_is_at_most_the_original_price():
    rule = resale_rule(category="concert", country="FR", at_original_price=True)
    stricter = resale_rule(category="concert", country="AU", at_original_price=True)

    assert (rule.cap_basis, rule.text) == (
        ORIGINAL_PRICE,
        "Designated event: at most the original price",
    )
    # A flag is stricter than Australia's +10%.
    assert (stricter.cap_basis, stricter.markup) == (ORIGINAL_PRICE, D("0"))


def test_the_rules_table_is_a_setting(settings):
    settings.RESALE_RULES = {
        "FR": {"basis": "original_price", "markup": "0", "text": "Loi française"},
    }

    assert resale_rule(category="concert", country="FR").text == "Loi française"
    assert resale_rule(category="concert", country="GB").cap_basis == FACE_VALUE_MARKUP


def test_the_fee_breakdown_carries_the_original_price_and_the_rules_words():
    rule = resale_rule(category="concert", country="GB")

    breakdown = fee_breakdown(
        price="105.00", face_value="100.00", original_fees="10.00", rule=rule, currency="GBP"
    ).as_dict()

    assert {
        key: breakdown[key]
        for key in (
            "face_value",
            "original_fees",
            "original_price",
            "markup_percent",
            "max_markup_percent",
            "max_price",
            "rule",
            "cap_basis",
        )
    } == {
        "face_value": "100.00",
        "original_fees": "10.00",
        "original_price": "110.00",
        "markup_percent": "5.0",
        "max_markup_percent": "0.0",
        "max_price": "110.00",
        "rule": UK,
        "cap_basis": "original_price",
    }


def test_the_quote_of_the_sell_pages_says_the_law_and_the_original_price():
    event = EventFactory.build(country="GB", currency="GBP", category="concert")

    quote = price_quote(event=event, face_value="100.00", original_fees="10.00", price="111.00")

    assert quote.range_text == (
        f"Allowed price: £80.00 to £110.00 ({UK}; the original price, face value and fees, "
        "is £110.00)."
    )
    assert quote.price_check == "above_max"
    assert quote.refusal_text("PRICE_EXCEEDS_MAX_MARKUP") == (
        f"At most £110.00 for this ticket ({UK}; the original price, face value and fees, "
        "is £110.00)."
    )


# --- the services ----------------------------------------------------------------------


def test_a_gb_ticket_cannot_be_listed_above_face_value_plus_its_fees(db_snapshot):
    ticket = ticket_of(gb_event())
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as caught:
        listing_create(seller=ticket.owner, ticket=ticket, price="110.01")

    assert caught.value.details["reason"] == "PRICE_EXCEEDS_MAX_MARKUP"
    assert caught.value.details["maxAllowed"] == "110.00"
    assert db_snapshot() == before
    listing = listing_create(seller=ticket.owner, ticket=ticket, price="110.00")
    assert listing.price == D("110.00")


def test_a_gb_price_change_is_held_to_the_original_price_too():
    listing = ListingFactory(ticket=ticket_of(gb_event(), status="listed"), price=D("100.00"))

    with pytest.raises(ValidationFailed) as caught:
        listing_update_price(seller=listing.seller, listing=listing, price="115.00")

    assert caught.value.details["maxAllowed"] == "110.00"
    assert Listing.objects.get(pk=listing.pk).price == D("100.00")


def test_an_au_ticket_may_be_listed_up_to_ten_percent_above_its_original_price():
    ticket = ticket_of(au_event())

    with pytest.raises(ValidationFailed) as caught:
        listing_create(seller=ticket.owner, ticket=ticket, price="121.01")

    assert caught.value.details["maxAllowed"] == "121.00"
    assert listing_create(seller=ticket.owner, ticket=ticket, price="121.00").price == D("121.00")


def test_a_designated_irish_event_is_held_to_the_original_price():
    ticket = ticket_of(EventFactory(resale_at_original_price=True))

    with pytest.raises(ValidationFailed) as caught:
        listing_create(seller=ticket.owner, ticket=ticket, price="110.01")

    assert caught.value.details["maxAllowed"] == "110.00"


# --- the flag: the venue's size, staff, open listings -----------------------------------


def _create(organizer, **fields):
    values = {
        "name": "Live at the Point",
        "event_date": EventFactory.build().event_date,
        "venue_name": "3Arena",
        "city": "Dublin",
        "country": "IE",
        **fields,
    }
    return event_create(organizer=organizer, **values)


@pytest.mark.parametrize(
    ("country", "capacity", "flagged"),
    [("IE", 1000, True), ("IE", 13000, True), ("IE", 999, False), ("IE", None, False)]
    + [("GB", 5000, False), ("FR", 5000, False)],
)
def test_an_irish_venue_of_1000_or_more_designates_the_event(country, capacity, flagged):
    organizer = EventFactory().organizer

    event = _create(organizer, country=country, venue_capacity=capacity)

    assert event.resale_at_original_price is flagged


def test_a_venue_growing_past_1000_flags_the_event_and_shrinking_does_not_lift_it():
    event = EventFactory(venue_capacity=800)

    event = event_update(actor=event.organizer, event=event, venue_capacity=1200)
    assert event.resale_at_original_price is True

    event = event_update(actor=event.organizer, event=event, venue_capacity=500)
    assert event.resale_at_original_price is True


def test_only_staff_set_or_lift_the_designation():
    event = EventFactory()

    with pytest.raises(PermissionDenied) as caught:
        event_update(actor=event.organizer, event=event, resale_at_original_price=True)
    assert caught.value.details["reason"] == "STAFF_ONLY"
    with pytest.raises(PermissionDenied):
        _create(event.organizer, resale_at_original_price=True)

    event = event_update(actor=StaffFactory(), event=event, resale_at_original_price=True)
    assert event.resale_at_original_price is True


def test_staff_set_it_explicitly_over_the_venue_size():
    event = EventFactory(venue_capacity=800)

    event = event_update(
        actor=StaffFactory(), event=event, venue_capacity=5000, resale_at_original_price=False
    )

    assert (event.venue_capacity, event.resale_at_original_price) == (5000, False)


def test_a_designation_open_listings_would_break_is_refused(db_snapshot):
    event = EventFactory()
    ListingFactory(ticket=ticket_of(event, status="listed"), price=D("115.00"))
    staff = StaffFactory()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as caught:
        event_update(actor=staff, event=event, resale_at_original_price=True)
    assert caught.value.details == {"field": "resale_at_original_price", "reason": "HAS_LISTINGS"}
    with pytest.raises(ValidationFailed):
        event_update(actor=event.organizer, event=event, venue_capacity=2000)

    assert db_snapshot() == before


def test_a_designation_every_open_listing_meets_goes_through():
    event = EventFactory()
    ListingFactory(ticket=ticket_of(event, status="listed"), price=D("110.00"))

    event = event_update(actor=StaffFactory(), event=event, resale_at_original_price=True)

    assert resale_rule_for(event).text == IRISH


def test_the_event_api_shows_the_resale_fields_and_refuses_the_flag_to_organizers(api_as):
    event = EventFactory(venue_capacity=800)
    client = api_as(event.organizer)

    response = client.patch(
        f"/api/v1/events/{event.pk}", {"resale_at_original_price": True}, format="json"
    )
    error_of(response, 403, "FORBIDDEN")
    data = ok_data(
        client.patch(
            f"/api/v1/events/{event.pk}",
            {"venue_capacity": 1500, "primary_purchase_limit": 4},
            format="json",
        )
    )

    assert (
        data["venue_capacity"],
        data["resale_at_original_price"],
        data["primary_purchase_limit"],
    ) == (1500, True, 4)


# --- the pages -------------------------------------------------------------------------


def _rows(html):
    table = re.search(r'<table class="breakdown">(.*?)</table>', html, flags=re.S).group(1)
    return {
        unescape(re.sub(r"\s+", " ", th)).strip(): unescape(re.sub(r"<[^>]+>", "", td)).strip()
        for th, td in re.findall(r"<th scope=\"row\">(.*?)</th><td>(.*?)</td>", table)
    }


@pytest.mark.parametrize(
    ("make_event", "price", "rule", "max_price"),
    [
        (gb_event, "105.00", UK, "£110.00"),
        (lambda: EventFactory(resale_at_original_price=True), "105.00", IRISH, "€110.00"),
        (au_event, "120.00", AUSTRALIAN, "A$121.00"),
    ],
    ids=["GB", "IE-designated", "AU"],
)
def test_the_listing_page_names_the_rule_in_words(
    client, django_assert_max_num_queries, make_event, price, rule, max_price
):
    listing = ListingFactory(ticket=ticket_of(make_event(), status="listed"), price=D(price))

    with django_assert_max_num_queries(8):
        response = client.get(f"/listings/{listing.pk}/")

    rows = _rows(response.content.decode())
    symbol = max_price.rstrip("0123456789.")
    assert rows["Price cap"] == rule
    assert rows["Highest price allowed"] == max_price
    assert rows["Unavoidable fees paid with it"] == f"{symbol}10.00"
    assert rows["Original price"] == f"{symbol}110.00"


def test_elsewhere_the_listing_page_names_encores_category_cap(client):
    listing = ListingFactory(
        ticket=ticket_of(EventFactory(country="FR", category="sports"), status="listed")
    )

    rows = _rows(client.get(f"/listings/{listing.pk}/").content.decode())

    assert rows["Price cap"] == "Encore's cap for sports events: at most 15% above face value"
    assert rows["Highest price allowed"] == "€115.00"


def test_the_list_ticket_page_refuses_a_gb_price_above_face_value_plus_fees(
    client, django_assert_max_num_queries
):
    ticket = ticket_of(gb_event())
    client.force_login(ticket.owner)
    url = reverse("listings:list-ticket", args=[ticket.pk])

    with django_assert_max_num_queries(25):
        response = client.post(url, {"price": "110.01"})

    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert (
        f"At most £110.00 for this ticket ({UK}; the original price, face value and fees, "
        "is £110.00)."
    ) in html
    assert not Listing.objects.filter(ticket=ticket).exists()
    assert UK in html  # the rules beside the form say it too
    assert client.post(url, {"price": "110.00"}).status_code == 302


def test_the_sell_page_quotes_the_tiers_fees_in_the_live_range(client):
    event = gb_event()
    event.price_tiers.create(name="Stalls", face_value=D("60.00"), fees=D("6.50"))

    data = client.get(
        reverse("listings:price-range", args=[event.pk]),
        {"face_value": "60.00", "fees": "6.50", "price": "66.51"},
    ).json()

    assert (data["max_price"], data["original_price"], data["rule"], data["cap_basis"]) == (
        "66.50",
        "66.50",
        UK,
        "original_price",
    )
    assert data["price_check"] == "above_max"


# --- the API ---------------------------------------------------------------------------


def test_the_api_refuses_a_gb_price_above_face_value_plus_fees(api_as, db_snapshot):
    ticket = ticket_of(gb_event())
    client = api_as(ticket.owner)
    before = db_snapshot()

    response = client.post(
        "/api/v1/listings", {"ticket_id": ticket.pk, "price": "110.01"}, format="json"
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": "110.00",
        "provided": "110.01",
    }
    assert UK in error["message"]
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("make_event", "rule", "basis", "max_price", "max_markup"),
    [
        (gb_event, UK, "original_price", "110.00", "0.0"),
        (
            lambda: EventFactory(resale_at_original_price=True),
            IRISH,
            "original_price",
            "110.00",
            "0.0",
        ),
        (au_event, AUSTRALIAN, "original_price_markup", "121.00", "10.0"),
        (lambda: EventFactory(country="FR"), None, "face_value_markup", "120.00", "20.0"),
    ],
    ids=["GB", "IE-designated", "AU", "FR"],
)
def test_the_api_fee_breakdown_says_the_same_rule(
    api_as, make_event, rule, basis, max_price, max_markup
):
    ticket = ticket_of(make_event())
    data = ok_data(
        api_as(ticket.owner).post(
            "/api/v1/listings", {"ticket_id": ticket.pk, "price": "100.00"}, format="json"
        ),
        201,
    )

    breakdown = data["fee_breakdown"]
    assert breakdown["rule"] == (rule or resale_rule_for(ticket.event).text)
    assert (breakdown["cap_basis"], breakdown["max_price"], breakdown["max_markup_percent"]) == (
        basis,
        max_price,
        max_markup,
    )
    assert (breakdown["original_fees"], breakdown["original_price"]) == ("10.00", "110.00")
    assert data["ticket"]["original_fees"] == "10.00"


def test_the_event_flag_is_read_by_the_api_listing(api):
    listing = ListingFactory(
        ticket=ticket_of(EventFactory(category=Event.Category.FESTIVAL), status="listed")
    )
    assert ok_data(api.get(f"/api/v1/listings/{listing.pk}"))["fee_breakdown"]["max_price"] == (
        "130.00"
    )

    Event.objects.filter(pk=listing.ticket.event_id).update(resale_at_original_price=True)

    breakdown = ok_data(api.get(f"/api/v1/listings/{listing.pk}"))["fee_breakdown"]
    assert (breakdown["rule"], breakdown["max_price"]) == (IRISH, "110.00")
