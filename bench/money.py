"""What writing money costs on the event page (`bench/run.py`, step 3b).

The measured event's page (50 listings) is built in process in each of the
site's languages, its cache token replaced before each build. Every amount
the money filter writes is recorded. The same amounts are then written three
ways:

- **before**: the plain formatter the site used while it was English only
  ("1,234.50" and the currency code);
- **Babel, first build**: `format_currency` each time (a new process, or a
  price not seen before);
- **Babel, remembered**: `money_display` as pages call it, with its LRU warm.

Each is reported in ms per page, beside the whole page's build time.
"""

import statistics
import time
from decimal import Decimal

REPEATS = 200
BUILDS = 20
_client = None


def _plain(amount, currency) -> str:
    """The formatter of the English-only site: the amount, then the code."""
    return f"{Decimal(str(amount)):,.2f} {currency}"


def _per_page_ms(write, calls) -> float:
    started = time.perf_counter()
    for _ in range(REPEATS):
        for amount, currency in calls:
            write(amount, currency)
    return round((time.perf_counter() - started) * 1000 / REPEATS, 3)


def _page_build(event_id: int, language: str) -> float:
    """Builds the event page once, as a visitor, through the whole site (its
    middleware picks the language from the address); returns the ms it took."""
    from django.conf import settings
    from django.test import Client

    from marketplace.core.versions import event_scope, versions_bump

    versions_bump(event_scope(event_id))
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    host = next((h for h in settings.ALLOWED_HOSTS if "*" not in h), "localhost").lstrip(".")
    global _client
    # One client: a new one would load the middleware again (WhiteNoise reads
    # every static file), which is no part of a page's build.
    _client = _client or Client()
    started = time.perf_counter()
    response = _client.get(f"{prefix}/events/{event_id}/", secure=True, HTTP_HOST=host)
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"the event page answered {response.status_code}")
    return took


def measure(event_id: int) -> dict:
    import os
    from pathlib import Path

    from babel.numbers import format_currency
    from django.conf import settings
    from django.utils import translation

    from marketplace.core import money
    from marketplace.core.templatetags import money as money_filter

    # The site counts its answers in the same folder as the gunicorn workers do.
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
    results = {"amounts_per_page": None, "languages": {}}
    for language, _name in settings.LANGUAGES:
        calls: list = []
        real = money_filter.money_display

        def recording(amount, currency, language=None, _real=real, _calls=calls):
            _calls.append((amount, currency))
            return _real(amount, currency, language)

        money_filter.money_display = recording
        try:
            _page_build(event_id, language)
        finally:
            money_filter.money_display = real
        builds = [_page_build(event_id, language) for _ in range(BUILDS)]
        locale = money.money_locale(language)
        with translation.override(language):
            figures = {
                "page_build_ms_p50": round(statistics.median(builds), 2),
                "before_ms": _per_page_ms(_plain, calls),
                "babel_first_build_ms": _per_page_ms(
                    lambda a, c, _locale=locale: format_currency(
                        Decimal(str(a)), c, locale=_locale
                    ),
                    calls,
                ),
                "babel_remembered_ms": _per_page_ms(money.money_display, calls),
            }
        results["amounts_per_page"] = len(calls)
        results["languages"][language] = figures
    return results
