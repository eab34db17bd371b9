"""The pricing rules (ARCHITECTURE.md, rules 1 and 2): caps, floor, fee, payout.

Pure functions of settings and their arguments. Which cap applies to an event's
tickets (a country's resale law, Ireland's designated events, else the category's
markup) is the one `resale_rule` (`resale_rule_for` an event); every price the
site or the API accepts goes through `price_validate`, every page and API response that shows a
price uses the one `fee_breakdown` (`fee_breakdown_for_listing` for a listing),
what the sell pages say about a price before it is listed is the one
`price_quote` (listings.price_quote), and every percentage the site writes is `percent_text`.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext, pgettext_lazy

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import (
    money_display,
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


# What a cap is counted from (ResaleRule.cap_basis, FeeBreakdown.cap_basis in the API).
FACE_VALUE_MARKUP = "face_value_markup"  # face value x (1 + the category's markup)
ORIGINAL_PRICE = "original_price"  # face value + unavoidable fees, nothing more
ORIGINAL_PRICE_MARKUP = "original_price_markup"  # the original price x (1 + markup)
CAP_BASES = (FACE_VALUE_MARKUP, ORIGINAL_PRICE, ORIGINAL_PRICE_MARKUP)


@dataclass(frozen=True)
class ResaleRule:
    """The cap on an event's tickets: what it is counted from, the most over it, and
    the words every page and the API give it ("UK law: at most the original price")."""

    cap_basis: str
    markup: Decimal  # the fraction allowed over the basis, e.g. Decimal("0.20")
    text: str

    @property
    def on_original_price(self) -> bool:
        return self.cap_basis != FACE_VALUE_MARKUP


# The words of the default RESALE_RULES and RESALE_RULE_AT_ORIGINAL_PRICE (settings),
# for the translation catalogue: a rule's text is shown in the reader's language when
# the catalogue has it, else as the setting gives it.
RULE_TEXTS = (
    gettext_noop("UK law: at most the original price"),
    gettext_noop("Irish law (Sale of Tickets Act 2021): at most the original price"),
    # xgettext:no-python-format
    gettext_noop("Australian law: at most 10% above the original price"),
    gettext_noop("Designated event: at most the original price"),
)


def resale_rule_text(rule: dict) -> str:
    """A RESALE_RULES entry's words, in the active language when translated."""
    return _(rule["text"]) if rule.get("text") else ""


def _rule_from_setting(rule: dict) -> ResaleRule:
    markup = to_decimal(str(rule.get("markup", "0")))
    if rule.get("basis") == "face_value":
        basis = FACE_VALUE_MARKUP
    else:
        basis = ORIGINAL_PRICE_MARKUP if markup else ORIGINAL_PRICE
    return ResaleRule(cap_basis=basis, markup=markup, text=resale_rule_text(rule))


def resale_rule(*, category: str, country: str = "", at_original_price: bool = False) -> ResaleRule:
    """The cap on the tickets of an event of `category` in `country`.

    - An event flagged resale_at_original_price (Ireland's designated events and
      venues, or flagged by staff): at most the original price, in the words of
      the country's law when it says just that (RESALE_RULES), else
      RESALE_RULE_AT_ORIGINAL_PRICE's.
    - Else the country's resale law (RESALE_RULES: GB the original price, AU 10%
      above it), unless that law covers designated events only (IE).
    - Else Encore's markup for the category (PRICE_MARKUP_CAPS, and the country's
      override in PRICE_MARKUP_CAPS_BY_COUNTRY) over the face value.

    A law replaces the category's markup, as ARCHITECTURE.md rule 1 says.
    """
    country = (country or "").upper()
    law = settings.RESALE_RULES.get(country)
    if at_original_price:
        if law and _rule_from_setting(law).cap_basis == ORIGINAL_PRICE:
            return _rule_from_setting(law)
        return _rule_from_setting(settings.RESALE_RULE_AT_ORIGINAL_PRICE)
    if law and not law.get("designated_only"):
        return _rule_from_setting(law)
    cap = markup_cap_for(category=category, country=country)
    words = {
        "category": _CATEGORY_WORDS.get(category) or pgettext("events of a category", "these"),
        "country": country,
        "cap": percent_text(cap),
    }
    if country in settings.PRICE_MARKUP_CAPS_BY_COUNTRY:
        # Translators: "Encore's cap for concert events in NL: at most 20% above face value"
        text = _(
            "Encore's cap for %(category)s events in %(country)s: at most %(cap)s%% above "
            "face value"
        )
    else:
        # Translators: "Encore's cap for concert events: at most 20% above face value"
        text = _("Encore's cap for %(category)s events: at most %(cap)s%% above face value")
    return ResaleRule(cap_basis=FACE_VALUE_MARKUP, markup=cap, text=text % words)


# An event category as the cap's words name it ("Encore's cap for concert events").
_CATEGORY_WORDS = {
    "concert": pgettext_lazy("events of a category", "concert"),
    "sports": pgettext_lazy("events of a category", "sports"),
    "theater": pgettext_lazy("events of a category", "theater"),
    "festival": pgettext_lazy("events of a category", "festival"),
    "other": pgettext_lazy("events of a category", "other"),
}


def resale_rule_for(event) -> ResaleRule:
    """The cap on `event`'s tickets (resale_rule of its category, country and flag)."""
    return resale_rule(
        category=event.category,
        country=event.country,
        at_original_price=bool(getattr(event, "resale_at_original_price", False)),
    )


@dataclass(frozen=True)
class PriceLimits:
    min_price: Decimal
    max_price: Decimal
    markup_cap: Decimal  # the fraction allowed over the rule's basis, e.g. Decimal("0.20")
    rule: ResaleRule | None = None
    original_price: Decimal | None = None  # face value + unavoidable fees

    def cap_words(self, currency: str = "") -> str:
        """The cap in words, for messages: "face value + 20%", or the law's words
        and the original price it is counted from (in `currency` as the reader
        writes money; a bare amount without one)."""
        rule = self.rule
        if rule is None or not rule.on_original_price:
            return _("face value + %(percent)s%%") % {"percent": percent_text(self.markup_cap)}
        amount = (
            money_display(self.original_price, currency)
            if currency
            else money_str(self.original_price)
        )
        return _("%(rule)s; the original price, face value and fees, is %(amount)s") % {
            "rule": rule.text,
            "amount": amount,
        }


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
    # The original price (face value + the unavoidable fees paid with the ticket),
    # and the cap's rule: its words, and what max_markup_percent is counted from
    # (face_value_markup | original_price | original_price_markup).
    original_fees: Decimal = Decimal("0.00")
    original_price: Decimal = Decimal("0.00")
    rule: str = ""
    cap_basis: str = FACE_VALUE_MARKUP

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "face_value": money_str(self.face_value),
            "original_fees": money_str(self.original_fees),
            "original_price": money_str(self.original_price),
            "price": money_str(self.price),
            "markup_percent": str(self.markup_percent),
            "max_markup_percent": str(self.max_markup_percent),
            "rule": self.rule,
            "cap_basis": self.cap_basis,
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


def price_limits(
    *,
    face_value,
    category: str = "",
    country: str = "",
    original_fees=0,
    rule: ResaleRule | None = None,
) -> PriceLimits:
    """The allowed price range for a ticket of `face_value` (and `original_fees`, the
    unavoidable fees paid with it) under `rule` (default: resale_rule of the category
    and country, for an event not flagged).

    The ceiling counts from the rule's basis (the face value, or the original price);
    the floor is PRICE_FLOOR_RATE of the face value whatever the rule. The ceiling
    rounds down and the floor rounds up to the cent, so that no allowed price is ever
    above the exact cap or below the exact floor.
    """
    face_value = to_decimal(face_value)
    original_price = face_value + to_decimal(original_fees or 0)
    rule = rule or resale_rule(category=category, country=country)
    basis = original_price if rule.on_original_price else face_value
    max_price = quantize_money_down(basis * (1 + rule.markup))
    min_price = quantize_money_up(face_value * settings.PRICE_FLOOR_RATE)
    return PriceLimits(
        min_price=min_price,
        max_price=max_price,
        markup_cap=rule.markup,
        rule=rule,
        original_price=quantize_money(original_price),
    )


def price_validate(
    *,
    price,
    face_value,
    category: str = "",
    country: str = "",
    original_fees=0,
    rule: ResaleRule | None = None,
) -> Decimal:
    """Return `price` as money if it lies within the limits (price_limits), else raise
    ValidationFailed.

    The error's details follow ARCHITECTURE.md, rule 1: {field, reason,
    maxAllowed | minAllowed, provided}.
    """
    try:
        price = to_decimal(price)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("The price must be a number."),
            details={"field": "price", "reason": "INVALID_NUMBER"},
        ) from exc
    if not price.is_finite() or price != price.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("The price must be an amount with at most two decimal places."),
            details={"field": "price", "reason": "INVALID_AMOUNT", "provided": str(price)},
        )
    limits = price_limits(
        face_value=face_value,
        category=category,
        country=country,
        original_fees=original_fees,
        rule=rule,
    )
    if price > limits.max_price:
        words = {"max": money_str(limits.max_price)}
        if limits.rule.on_original_price:
            message = _("The price may be at most %(max)s (%(cap)s).") % {
                **words,
                "cap": limits.cap_words(),
            }
        else:
            message = _("The price may be at most %(max)s (face value plus %(percent)s%%).") % {
                **words,
                "percent": percent_text(limits.markup_cap),
            }
        raise ValidationFailed(
            message,
            details={
                "field": "price",
                "reason": "PRICE_EXCEEDS_MAX_MARKUP",
                "maxAllowed": money_str(limits.max_price),
                "provided": money_str(price),
            },
        )
    if price < limits.min_price:
        raise ValidationFailed(
            _("The price must be at least %(min)s (%(percent)s%% of face value).")
            % {
                "min": money_str(limits.min_price),
                "percent": percent_text(settings.PRICE_FLOOR_RATE),
            },
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
    *,
    price,
    face_value,
    category: str = "",
    country: str = "",
    currency: str = "",
    original_fees=0,
    rule: ResaleRule | None = None,
) -> FeeBreakdown:
    """The one fee breakdown of ARCHITECTURE.md ("Beyond the specification"): the
    markup is the price over the face value; the cap (max_markup_percent, max_price)
    is the rule's, counted from its basis (cap_basis)."""
    price = quantize_money(price)
    face_value = quantize_money(face_value)
    original_fees = quantize_money(original_fees or 0)
    limits = price_limits(
        face_value=face_value,
        category=category,
        country=country,
        original_fees=original_fees,
        rule=rule,
    )
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
        original_fees=original_fees,
        original_price=face_value + original_fees,
        rule=limits.rule.text,
        cap_basis=limits.rule.cap_basis,
    )


def fee_breakdown_for_listing(listing, *, price=None, currency: str = "") -> FeeBreakdown:
    """The fee breakdown of `listing` at its price, or at `price` (what a transaction
    paid, in its `currency`). Reads listing.ticket.event: select it with the listing."""
    ticket = listing.ticket
    event = ticket.event
    return fee_breakdown(
        price=listing.price if price is None else price,
        face_value=ticket.face_value,
        original_fees=ticket.original_fees,
        rule=resale_rule_for(event),
        currency=currency or event.currency,
    )
