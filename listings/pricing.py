"""The pricing rules (ARCHITECTURE.md, rules 1 and 2): caps, floor, fee, payout.

Pure functions of settings and their arguments; every price the site or the API
accepts goes through `price_validate`, every page and API response that shows a
price uses the one `fee_breakdown` (`fee_breakdown_for_listing` for a listing),
what the sell pages say about a price before it is listed is the one
`price_quote`, and every percentage the site writes is `percent_text`.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import (
    money_str,
    quantize_money,
    quantize_money_down,
    quantize_money_up,
    to_decimal,
)

HUNDRED = Decimal("100")
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


def percent(fraction) -> Decimal:
    """A fraction as a percentage with one decimal, rounded half-up: 0.1234 -> 12.3.
    The figure the API gives (markup_percent, max_markup_percent)."""
    return (to_decimal(fraction) * HUNDRED).quantize(TENTH, rounding=ROUND_HALF_UP)


def percent_text(fraction) -> str:
    """A fraction as the site writes a percentage, without the sign "%": exact to two
    decimals (half-up beyond), no trailing zeros: 0.2 -> "20", 0.075 -> "7.5",
    0.0825 -> "8.25", -0.15 -> "-15". The one percent formatter of the pages, the
    live range and the error messages (the template filter `percent` calls it)."""
    value = (to_decimal(fraction) * HUNDRED).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    return f"{value.normalize():f}" if value else "0"


@dataclass(frozen=True)
class PriceLimits:
    min_price: Decimal
    max_price: Decimal
    markup_cap: Decimal  # the fraction over face value allowed, e.g. Decimal("0.20")


@dataclass(frozen=True)
class FeeBreakdown:
    """What a buyer pays and a seller receives for one price, shown identically everywhere:
    the pages (templates/includes/fee_breakdown.html) and the API (FeeBreakdownOutput)."""

    currency: str
    face_value: Decimal
    price: Decimal
    markup_percent: Decimal  # price over face value, in percent (negative below face)
    max_markup_percent: Decimal
    max_price: Decimal
    min_price: Decimal
    platform_fee_rate: Decimal
    platform_fee: Decimal
    seller_payout: Decimal
    buyer_total: Decimal  # all-in: the listed price is the price paid
    # The same two percentages as fractions, for `percent_text` (the pages): the
    # markup as rounded above, so that a page and the API say the same figure.
    markup_rate: Decimal
    max_markup_rate: Decimal

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "face_value": money_str(self.face_value),
            "price": money_str(self.price),
            "markup_percent": str(self.markup_percent),
            "max_markup_percent": str(self.max_markup_percent),
            "max_price": money_str(self.max_price),
            "min_price": money_str(self.min_price),
            "platform_fee_rate": str(self.platform_fee_rate),
            "platform_fee": money_str(self.platform_fee),
            "seller_payout": money_str(self.seller_payout),
            "buyer_total": money_str(self.buyer_total),
        }


def markup_cap_for(*, category: str, country: str = "") -> Decimal:
    """The highest markup over face value for an event's category and country.

    A country's override (PRICE_MARKUP_CAPS_BY_COUNTRY) wins: first its entry for
    the category, then its "*" entry; otherwise the category's cap, else "other".
    """
    caps = settings.PRICE_MARKUP_CAPS
    override = settings.PRICE_MARKUP_CAPS_BY_COUNTRY.get((country or "").upper(), {})
    for key in (category, "*"):
        if key in override:
            return to_decimal(override[key])
    return to_decimal(caps.get(category, caps["other"]))


def price_limits(*, face_value, category: str, country: str = "") -> PriceLimits:
    """The allowed price range for a ticket of `face_value`.

    The ceiling rounds down and the floor rounds up to the cent, so that no
    allowed price is ever above the exact cap or below the exact floor.
    """
    face_value = to_decimal(face_value)
    cap = markup_cap_for(category=category, country=country)
    max_price = quantize_money_down(face_value * (1 + cap))
    min_price = quantize_money_up(face_value * settings.PRICE_FLOOR_RATE)
    return PriceLimits(min_price=min_price, max_price=max_price, markup_cap=cap)


def price_validate(*, price, face_value, category: str, country: str = "") -> Decimal:
    """Return `price` as money if it lies within the limits, else raise ValidationFailed.

    The error's details follow ARCHITECTURE.md, rule 1: {field, reason,
    maxAllowed | minAllowed, provided}.
    """
    try:
        price = to_decimal(price)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            "The price must be a number.", details={"field": "price", "reason": "INVALID_NUMBER"}
        ) from exc
    if not price.is_finite() or price != price.quantize(Decimal("0.01")):
        raise ValidationFailed(
            "The price must be an amount with at most two decimal places.",
            details={"field": "price", "reason": "INVALID_AMOUNT", "provided": str(price)},
        )
    limits = price_limits(face_value=face_value, category=category, country=country)
    if price > limits.max_price:
        raise ValidationFailed(
            f"The price may be at most {money_str(limits.max_price)} "
            f"(face value plus {percent_text(limits.markup_cap)}%).",
            details={
                "field": "price",
                "reason": "PRICE_EXCEEDS_MAX_MARKUP",
                "maxAllowed": money_str(limits.max_price),
                "provided": money_str(price),
            },
        )
    if price < limits.min_price:
        raise ValidationFailed(
            f"The price must be at least {money_str(limits.min_price)} "
            f"({percent_text(settings.PRICE_FLOOR_RATE)}% of face value).",
            details={
                "field": "price",
                "reason": "PRICE_BELOW_MINIMUM",
                "minAllowed": money_str(limits.min_price),
                "provided": money_str(price),
            },
        )
    return quantize_money(price)


def platform_fee_for(price) -> Decimal:
    """The platform's fee on a sale: price x PLATFORM_FEE_RATE, rounded half-up to the cent."""
    return quantize_money(to_decimal(price) * settings.PLATFORM_FEE_RATE)


def seller_payout_for(price) -> Decimal:
    """What the seller receives: the price less the platform fee (the two add up exactly)."""
    price = quantize_money(price)
    return price - platform_fee_for(price)


def fee_breakdown(
    *, price, face_value, category: str, country: str = "", currency: str = ""
) -> FeeBreakdown:
    """The one fee breakdown of ARCHITECTURE.md ("Beyond the specification")."""
    price = quantize_money(price)
    face_value = quantize_money(face_value)
    limits = price_limits(face_value=face_value, category=category, country=country)
    markup = percent((price - face_value) / face_value) if face_value else Decimal("0.0")
    fee = platform_fee_for(price)
    return FeeBreakdown(
        currency=currency or settings.DEFAULT_CURRENCY,
        face_value=face_value,
        price=price,
        markup_percent=markup,
        max_markup_percent=percent(limits.markup_cap),
        max_price=limits.max_price,
        min_price=limits.min_price,
        platform_fee_rate=settings.PLATFORM_FEE_RATE,
        platform_fee=fee,
        seller_payout=price - fee,
        buyer_total=price,
        markup_rate=markup / HUNDRED,
        max_markup_rate=limits.markup_cap,
    )


def fee_breakdown_for_listing(listing, *, price=None, currency: str = "") -> FeeBreakdown:
    """The fee breakdown of `listing` at its price, or at `price` (what a transaction
    paid, in its `currency`). Reads listing.ticket.event: select it with the listing."""
    ticket = listing.ticket
    event = ticket.event
    return fee_breakdown(
        price=listing.price if price is None else price,
        face_value=ticket.face_value,
        category=event.category,
        country=event.country,
        currency=currency or event.currency,
    )


# --- the price quote of the sell pages ------------------------------------------------


@dataclass(frozen=True)
class PriceQuote:
    """What the sell pages say about a price before it is listed: the allowed range for
    a ticket of `face_value` and, for a price, its fee breakdown and whether it lies in
    the range. The page, the live range (sell.js, through `as_dict`) and the message of
    a refused price all read it; the listing services alone decide (price_validate)."""

    currency: str
    category: str
    face_value: Decimal
    limits: PriceLimits
    breakdown: FeeBreakdown | None = None  # when a price is quoted

    @property
    def price_check(self) -> str | None:
        """The quoted price against the range: above_max, below_min or ok (None without one)."""
        if self.breakdown is None:
            return None
        if self.breakdown.price > self.limits.max_price:
            return "above_max"
        if self.breakdown.price < self.limits.min_price:
            return "below_min"
        return "ok"

    @property
    def range_text(self) -> str:
        limits = self.limits
        return (
            f"Allowed price: {money_str(limits.min_price)} to {money_str(limits.max_price)} "
            f"{self.currency} (face value + {percent_text(limits.markup_cap)}% at most)."
        )

    @property
    def payout_text(self) -> str:
        check, currency, limits = self.price_check, self.currency, self.limits
        if check is None:
            return "Enter your price to see what you will receive."
        if check == "above_max":
            return f"Too high: at most {money_str(limits.max_price)} {currency} for this ticket."
        if check == "below_min":
            return f"Too low: at least {money_str(limits.min_price)} {currency} for this ticket."
        return (
            f"You receive {money_str(self.breakdown.seller_payout)} {currency} "
            f"after Encore's {percent_text(settings.PLATFORM_FEE_RATE)}% fee."
        )

    def refusal_text(self, reason: str) -> str | None:
        """A price refused for `reason` (price_validate's details), in the seller's words
        with the limit that applies; None for another reason."""
        if reason == "PRICE_EXCEEDS_MAX_MARKUP":
            return (
                f"At most {money_str(self.limits.max_price)} {self.currency} for this ticket "
                f"(face value + {percent_text(self.limits.markup_cap)}%)."
            )
        if reason == "PRICE_BELOW_MINIMUM":
            return (
                f"At least {money_str(self.limits.min_price)} {self.currency} for this ticket "
                f"({percent_text(settings.PRICE_FLOOR_RATE)}% of face value)."
            )
        return None

    def as_dict(self) -> dict:
        """The live range's JSON (static/js/sell.js)."""
        breakdown = self.breakdown
        return {
            "currency": self.currency,
            "category": self.category,
            "face_value": money_str(self.face_value),
            "min_price": money_str(self.limits.min_price),
            "max_price": money_str(self.limits.max_price),
            "max_markup_percent": percent_text(self.limits.markup_cap),
            "floor_percent": percent_text(settings.PRICE_FLOOR_RATE),
            "platform_fee_percent": percent_text(settings.PLATFORM_FEE_RATE),
            "price": money_str(breakdown.price) if breakdown else None,
            "platform_fee": money_str(breakdown.platform_fee) if breakdown else None,
            "seller_payout": money_str(breakdown.seller_payout) if breakdown else None,
            "price_check": self.price_check,
            "range_text": self.range_text,
            "payout_text": self.payout_text,
        }


def price_quote(*, event, face_value, price=None) -> PriceQuote:
    """The quote for a ticket of `face_value` for `event` (its category, country and
    currency), and for `price` when given."""
    face_value = quantize_money(face_value)
    breakdown = None
    if price is not None:
        breakdown = fee_breakdown(
            price=price,
            face_value=face_value,
            category=event.category,
            country=event.country,
            currency=event.currency,
        )
    return PriceQuote(
        currency=event.currency,
        category=event.category,
        face_value=face_value,
        limits=price_limits(face_value=face_value, category=event.category, country=event.country),
        breakdown=breakdown,
    )
