"""What the sell pages say about a price before it is listed (listings.pricing's
rules, in the seller's words): the allowed range, the payout, and why a price was
refused. The page, the live range (static/js/sell.js) and the message of a refused
price all read the one `price_quote`; the listing services alone decide
(listings.pricing.price_validate). Money is written as the reader's language writes
it (marketplace.core.money.money_display)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from marketplace.core.money import money_display, money_str, quantize_money

from .pricing import (
    FeeBreakdown,
    PriceLimits,
    ResaleRule,
    fee_breakdown,
    percent_text,
    price_limits,
    resale_rule_for,
)


@dataclass(frozen=True)
class PriceQuote:
    """What the sell pages say about a price before it is listed: the allowed range for
    a ticket of `face_value` (and `original_fees`) and, for a price, its fee breakdown
    and whether it lies in the range. The page, the live range (sell.js, through
    `as_dict`) and the message of a refused price all read it; the listing services
    alone decide (price_validate)."""

    currency: str
    category: str
    face_value: Decimal
    limits: PriceLimits
    breakdown: FeeBreakdown | None = None  # when a price is quoted
    original_fees: Decimal = Decimal("0.00")

    @property
    def rule(self) -> ResaleRule:
        return self.limits.rule

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

    def _money(self, amount) -> str:
        return money_display(amount, self.currency)

    @property
    def range_text(self) -> str:
        limits = self.limits
        words = {
            "min": self._money(limits.min_price),
            "max": self._money(limits.max_price),
            "cap": limits.cap_words(self.currency),
        }
        if self.rule.on_original_price:
            return _("Allowed price: %(min)s to %(max)s (%(cap)s).") % words
        return _("Allowed price: %(min)s to %(max)s (%(cap)s at most).") % words

    @property
    def payout_text(self) -> str:
        check, limits = self.price_check, self.limits
        if check is None:
            return _("Enter your price to see what you will receive.")
        if check == "above_max":
            return _("Too high: at most %(max)s for this ticket.") % {
                "max": self._money(limits.max_price)
            }
        if check == "below_min":
            return _("Too low: at least %(min)s for this ticket.") % {
                "min": self._money(limits.min_price)
            }
        return _("You receive %(payout)s after Encore's %(percent)s%% fee.") % {
            "payout": self._money(self.breakdown.seller_payout),
            "percent": percent_text(settings.PLATFORM_FEE_RATE),
        }

    def refusal_text(self, reason: str) -> str | None:
        """A price refused for `reason` (price_validate's details), in the seller's words
        with the limit that applies; None for another reason."""
        if reason == "PRICE_EXCEEDS_MAX_MARKUP":
            return _("At most %(max)s for this ticket (%(cap)s).") % {
                "max": self._money(self.limits.max_price),
                "cap": self.limits.cap_words(self.currency),
            }
        if reason == "PRICE_BELOW_MINIMUM":
            return _("At least %(min)s for this ticket (%(percent)s%% of face value).") % {
                "min": self._money(self.limits.min_price),
                "percent": percent_text(settings.PRICE_FLOOR_RATE),
            }
        return None

    def as_dict(self) -> dict:
        """The live range's JSON (static/js/sell.js)."""
        breakdown = self.breakdown
        return {
            "currency": self.currency,
            "category": self.category,
            "face_value": money_str(self.face_value),
            "original_fees": money_str(self.original_fees),
            "original_price": money_str(self.limits.original_price),
            "min_price": money_str(self.limits.min_price),
            "max_price": money_str(self.limits.max_price),
            "max_markup_percent": percent_text(self.limits.markup_cap),
            "rule": self.rule.text,
            "cap_basis": self.rule.cap_basis,
            "floor_percent": percent_text(settings.PRICE_FLOOR_RATE),
            "platform_fee_percent": percent_text(settings.PLATFORM_FEE_RATE),
            "price": money_str(breakdown.price) if breakdown else None,
            "platform_fee": money_str(breakdown.platform_fee) if breakdown else None,
            "seller_payout": money_str(breakdown.seller_payout) if breakdown else None,
            "price_check": self.price_check,
            "range_text": self.range_text,
            "payout_text": self.payout_text,
        }


def price_quote(*, event, face_value, price=None, original_fees=0) -> PriceQuote:
    """The quote for a ticket of `face_value` and `original_fees` for `event` (its
    rule, resale_rule_for, and currency), and for `price` when given."""
    face_value = quantize_money(face_value)
    original_fees = quantize_money(original_fees or 0)
    rule = resale_rule_for(event)
    breakdown = None
    if price is not None:
        breakdown = fee_breakdown(
            price=price,
            face_value=face_value,
            original_fees=original_fees,
            rule=rule,
            currency=event.currency,
        )
    return PriceQuote(
        currency=event.currency,
        category=event.category,
        face_value=face_value,
        limits=price_limits(face_value=face_value, original_fees=original_fees, rule=rule),
        breakdown=breakdown,
        original_fees=original_fees,
    )
