"""The pricing rules (ARCHITECTURE.md, rules 1 and 2): caps, floor, fee, payout.

Pure functions of settings and their arguments; every price the site or the API
accepts goes through `price_validate`, and every page and API response that
shows a price uses the one `fee_breakdown`.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from marketplace.errors import ValidationFailed
from marketplace.money import (
    money_str,
    quantize_money,
    quantize_money_down,
    quantize_money_up,
    to_decimal,
)

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class PriceLimits:
    min_price: Decimal
    max_price: Decimal
    markup_cap: Decimal  # the fraction over face value allowed, e.g. Decimal("0.20")


@dataclass(frozen=True)
class FeeBreakdown:
    """What a buyer pays and a seller receives for one price, shown identically everywhere."""

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
            f"(face value plus {limits.markup_cap * HUNDRED:.0f}%).",
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
            f"({settings.PRICE_FLOOR_RATE * HUNDRED:.0f}% of face value).",
            details={
                "field": "price",
                "reason": "PRICE_BELOW_MINIMUM",
                "minAllowed": money_str(limits.min_price),
                "provided": money_str(price),
            },
        )
    return quantize_money(price)


def percent(fraction: Decimal) -> Decimal:
    """A fraction as a percentage with one decimal, rounded half-up: 0.1234 -> 12.3."""
    return (fraction * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


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
    )
