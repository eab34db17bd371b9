"""The range rules every search shares, on the site and the API alike."""

from marketplace.core.errors import ValidationFailed


def date_range_check(date_from, date_to) -> None:
    """A search from date_from to date_to (both optional): the end must not come
    before the start. Raises ValidationFailed on the date_to field."""
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            "The end date must not be before the start date.",
            details={"field": "date_to", "reason": "DATE_RANGE_INVERTED"},
        )


def price_range_check(min_price, max_price) -> None:
    """The highest price must not be below the lowest. Raises ValidationFailed
    on the max_price field."""
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ValidationFailed(
            "The highest price must not be below the lowest.",
            details={"field": "max_price", "reason": "PRICE_RANGE_INVERTED"},
        )
