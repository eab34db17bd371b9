"""Money is Decimal with two places, rounded half-up (STYLE.md, 4)."""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_decimal(value) -> Decimal:
    """A Decimal from a Decimal, int or string; floats are refused (they are not exact)."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal or a string.")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def quantize_money(value) -> Decimal:
    """Round to the cent, half-up: 0.005 -> 0.01."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_money_down(value) -> Decimal:
    """Round to the cent towards minus infinity (a ceiling never rounds above itself)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_FLOOR)


def quantize_money_up(value) -> Decimal:
    """Round to the cent towards plus infinity (a floor never rounds below itself)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_CEILING)


def money_str(value) -> str:
    """Money as JSON shows it: a string with two places ("110.00")."""
    return str(quantize_money(value))
