"""Searches refuse a range the wrong way round, in the selectors the site and
the API both call."""

import datetime
from decimal import Decimal

import pytest

from events.selectors import event_search
from listings.selectors import listing_search
from marketplace.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

LATER, SOONER = datetime.date(2030, 5, 2), datetime.date(2030, 5, 1)


@pytest.mark.parametrize("search", [event_search, listing_search])
def test_an_end_date_before_the_start_date_is_refused_on_date_to(search):
    with pytest.raises(ValidationFailed) as refused:
        search(date_from=LATER, date_to=SOONER)

    assert refused.value.details == {"field": "date_to", "reason": "DATE_RANGE_INVERTED"}
    assert refused.value.message == "The end date must not be before the start date."


@pytest.mark.parametrize("search", [event_search, listing_search])
def test_a_one_day_range_is_a_range(search):
    assert list(search(date_from=LATER, date_to=LATER)) == []


def test_a_highest_price_below_the_lowest_is_refused_on_max_price():
    with pytest.raises(ValidationFailed) as refused:
        listing_search(min_price=Decimal("60.00"), max_price=Decimal("50.00"))

    assert refused.value.details == {"field": "max_price", "reason": "PRICE_RANGE_INVERTED"}
