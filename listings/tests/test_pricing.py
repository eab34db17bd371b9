from decimal import Decimal

import pytest
from django.template import Context, Template

from listings.price_quote import price_quote
from listings.pricing import (
    fee_breakdown,
    markup_cap_for,
    percent_text,
    platform_fee_for,
    price_limits,
    price_validate,
    seller_payout_for,
)
from marketplace.core.errors import ValidationFailed

D = Decimal

# (category, the highest price for a 100.00 face value)
CAPS = [
    ("concert", D("120.00")),
    ("sports", D("115.00")),
    ("theater", D("125.00")),
    ("festival", D("130.00")),
    ("other", D("120.00")),
    ("an-unknown-category", D("120.00")),
]


@pytest.mark.parametrize(("category", "max_price"), CAPS)
def test_price_exactly_at_the_cap_is_accepted(category, max_price):
    assert price_validate(price=max_price, face_value=D("100.00"), category=category) == max_price


@pytest.mark.parametrize(("category", "max_price"), CAPS)
def test_one_cent_over_the_cap_is_refused_with_the_cap_in_the_details(category, max_price):
    with pytest.raises(ValidationFailed) as caught:
        price_validate(price=max_price + D("0.01"), face_value=D("100.00"), category=category)

    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.details == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": str(max_price),
        "provided": str(max_price + D("0.01")),
    }


@pytest.mark.parametrize(("category", "max_price"), CAPS)
def test_price_exactly_at_the_floor_is_accepted_and_one_cent_below_is_refused(category, max_price):
    assert price_validate(price="80.00", face_value="100.00", category=category) == D("80.00")

    with pytest.raises(ValidationFailed) as caught:
        price_validate(price="79.99", face_value="100.00", category=category)

    assert caught.value.details == {
        "field": "price",
        "reason": "PRICE_BELOW_MINIMUM",
        "minAllowed": "80.00",
        "provided": "79.99",
    }


def test_the_cap_rounds_down_and_the_floor_rounds_up_to_the_cent():
    # 10.05 x 1.15 = 11.5575 and 10.05 x 0.80 = 8.04; 10.07 x 0.80 = 8.056.
    assert price_limits(face_value=D("10.05"), category="sports").max_price == D("11.55")
    assert price_limits(face_value=D("10.07"), category="sports").min_price == D("8.06")
    with pytest.raises(ValidationFailed):
        price_validate(price="11.56", face_value="10.05", category="sports")


def test_a_free_ticket_can_only_be_given_away():
    limits = price_limits(face_value=D("0.00"), category="concert")
    assert (limits.min_price, limits.max_price) == (D("0.00"), D("0.00"))


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("abc", "INVALID_NUMBER"),
        (1.1, "INVALID_NUMBER"),  # a float is never money
        ("10.005", "INVALID_AMOUNT"),
        ("NaN", "INVALID_AMOUNT"),
        ("Infinity", "INVALID_AMOUNT"),
        ("-5.00", "PRICE_BELOW_MINIMUM"),
    ],
)
def test_malformed_prices_are_refused_with_a_reason(price, reason):
    with pytest.raises(ValidationFailed) as caught:
        price_validate(price=price, face_value="10.00", category="concert")

    assert caught.value.details["reason"] == reason
    assert caught.value.details["field"] == "price"


def test_a_country_override_for_every_category_makes_it_face_value_only(settings):
    settings.PRICE_MARKUP_CAPS_BY_COUNTRY = {"IE": {"*": "0"}}

    assert price_limits(face_value="100.00", category="festival", country="IE").max_price == D(
        "100.00"
    )
    assert price_limits(face_value="100.00", category="festival", country="ie").max_price == D(
        "100.00"
    )
    assert price_limits(face_value="100.00", category="festival", country="FR").max_price == D(
        "130.00"
    )


def test_a_country_override_of_one_category_wins_over_its_star_entry(settings):
    settings.PRICE_MARKUP_CAPS_BY_COUNTRY = {"GB": {"sports": "0.10", "*": "0.05"}}

    assert markup_cap_for(category="sports", country="GB") == D("0.10")
    assert markup_cap_for(category="concert", country="GB") == D("0.05")
    assert markup_cap_for(category="concert", country="FR") == D("0.20")


@pytest.mark.parametrize(
    ("price", "fee", "payout"),
    [
        ("100.00", "8.00", "92.00"),
        ("10.06", "0.80", "9.26"),  # 0.8048 rounds down
        ("10.07", "0.81", "9.26"),  # 0.8056 rounds up
        ("0.06", "0.00", "0.06"),  # 0.0048
        ("0.07", "0.01", "0.06"),  # 0.0056
        ("0.00", "0.00", "0.00"),
        ("99999.99", "8000.00", "91999.99"),
    ],
)
def test_fee_and_payout_add_up_to_the_price(price, fee, payout):
    assert platform_fee_for(D(price)) == D(fee)
    assert seller_payout_for(D(price)) == D(payout)
    assert platform_fee_for(D(price)) + seller_payout_for(D(price)) == D(price)


def test_the_fee_rounds_half_up_not_to_even(settings):
    # At 8% no price lands on half a cent; at 10% 0.05 does (0.005 -> 0.01, not 0.00).
    settings.PLATFORM_FEE_RATE = D("0.10")

    assert platform_fee_for(D("0.05")) == D("0.01")
    assert platform_fee_for(D("0.25")) == D("0.03")


def test_fee_breakdown_shows_everything_a_buyer_and_a_seller_need():
    breakdown = fee_breakdown(
        price=D("110.00"), face_value=D("100.00"), category="concert", currency="EUR"
    )

    assert breakdown.as_dict() == {
        "currency": "EUR",
        "face_value": "100.00",
        "original_fees": "0.00",
        "original_price": "100.00",
        "price": "110.00",
        "markup_percent": "10.0",
        "max_markup_percent": "20.0",
        "rule": "Encore's cap for concert events: at most 20% above face value",
        "cap_basis": "face_value_markup",
        "max_price": "120.00",
        "min_price": "80.00",
        "platform_fee_rate": "0.08",
        "platform_fee": "8.80",
        "seller_payout": "101.20",
        "buyer_total": "110.00",
    }


def test_fee_breakdown_below_face_value_shows_a_negative_markup():
    breakdown = fee_breakdown(price="85.00", face_value="100.00", category="sports")

    assert breakdown.markup_percent == D("-15.0")
    assert breakdown.currency == "EUR"
    assert breakdown.buyer_total == D("85.00")


# --- the one percent formatter ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (D("0.2"), "20"),
        (D("0.20"), "20"),
        (D("0.075"), "7.5"),
        (D("0.0825"), "8.25"),
        (D("0.8"), "80"),
        (D("0"), "0"),
        (D("-0.15"), "-15"),
        (D("0.100"), "10"),
        ("0.10", "10"),
        (D("1") / D("3"), "33.33"),
    ],
)
def test_percent_text_writes_a_fraction_as_the_site_shows_a_percentage(fraction, text):
    assert percent_text(fraction) == text


def test_the_percent_filter_is_percent_text():
    html = Template("{% load pricing %}{{ rate|percent }}%").render(Context({"rate": D("0.075")}))

    assert html == "7.5%"


def test_the_breakdown_carries_its_percentages_as_rates_too():
    breakdown = fee_breakdown(price="55.55", face_value="50.00", category="concert")

    # The page writes the figure the API gives: 11.1, not 11.10.
    assert breakdown.markup_percent == D("11.1")
    assert percent_text(breakdown.markup_rate) == "11.1"
    assert percent_text(breakdown.max_markup_rate) == "20"


# --- the price quote of the sell pages --------------------------------------------------------


class _Event:
    category, country, currency = "concert", "IE", "EUR"


@pytest.mark.parametrize(
    ("price", "check", "payout_text"),
    [
        (None, None, "Enter your price to see what you will receive."),
        ("60.01", "above_max", "Too high: at most €60.00 for this ticket."),
        ("39.99", "below_min", "Too low: at least €40.00 for this ticket."),
        ("55.00", "ok", "You receive €50.60 after Encore's 8% fee."),
    ],
)
def test_the_quote_says_the_range_and_where_the_price_stands(price, check, payout_text):
    quote = price_quote(event=_Event(), face_value="50", price=price)

    assert quote.range_text == "Allowed price: €40.00 to €60.00 (face value + 20% at most)."
    assert (quote.price_check, quote.payout_text) == (check, payout_text)
    data = quote.as_dict()
    assert (data["face_value"], data["max_markup_percent"], data["floor_percent"]) == (
        "50.00",
        "20",
        "80",
    )
    assert data["price_check"] == check


def test_the_quote_words_a_refused_price_with_the_limit_that_applies():
    quote = price_quote(event=_Event(), face_value="50.00")

    assert quote.refusal_text("PRICE_EXCEEDS_MAX_MARKUP") == (
        "At most €60.00 for this ticket (face value + 20%)."
    )
    assert quote.refusal_text("PRICE_BELOW_MINIMUM") == (
        "At least €40.00 for this ticket (80% of face value)."
    )
    assert quote.refusal_text("INVALID_AMOUNT") is None


def test_a_refused_price_names_the_cap_with_the_one_formatter(settings):
    settings.PRICE_MARKUP_CAPS = {**settings.PRICE_MARKUP_CAPS, "concert": D("0.125")}

    with pytest.raises(ValidationFailed) as exc:
        price_validate(price="60.00", face_value="50.00", category="concert")

    # Not "12%": the cap is written as configured.
    assert exc.value.message == "The price may be at most 56.25 (face value plus 12.5%)."
