"""Money is Decimal with two places, rounded half-up (STYLE.md, 4)."""

import functools
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation

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


def money_display(amount, currency: str, language: str | None = None) -> str:
    """Money as a reader of `language` (the active one by default) writes it:
    "€34.00" in English, "€ 34,00" in Dutch, "34,00 €" in German, French and
    Spanish, "£39.10" for pounds; Babel's format_currency with the locale of
    settings.MONEY_LOCALES. Empty for no amount or an amount that is not a number."""
    if amount is None or amount == "":
        return ""
    try:
        value = to_decimal(amount)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    return money_formatted(value, currency or settings.DEFAULT_CURRENCY, _locale_name(language))


@functools.lru_cache(maxsize=8192)
def money_formatted(amount: Decimal, currency: str, locale: str) -> str:
    """Babel's format_currency, remembered: a page shows the same few dozen
    prices again and again, and Babel takes about 25 µs to write one (the
    bench's "money" part measures it)."""
    return format_currency(amount, currency, locale=_locale(locale))


@functools.cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def money_locale(language: str | None = None) -> Locale:
    """The Babel locale money is written in for `language` (the active one)."""
    return _locale(_locale_name(language))


def _locale_name(language: str | None) -> str:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return _LOCALE_NAMES.get(language) or _locale_name_find(language)


_LOCALE_NAMES: dict[str, str] = {}


def _locale_name_find(language: str) -> str:
    locales = settings.MONEY_LOCALES
    name = locales.get(language) or locales.get(language.split("-")[0])
    name = name or locales[settings.LANGUAGE_CODE]
    _LOCALE_NAMES[language] = name
    return name
