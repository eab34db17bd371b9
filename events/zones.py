"""Each event keeps its own clock: the venue's time zone, and the one place where
an event's date and wall-clock time become an instant.

Every rule that depends on the event's start (on sale, listings' expiry, the
dispute window, the automatic confirmation, transfers) reads `Event.starts_at`,
which is `event_starts_at` below.

Daylight saving (ARCHITECTURE.md, "each event keeps its own clock"): a wall
time is read with `fold=0`, Python's default (PEP 495), and the instant is
normalised, so
- a time that exists twice (02:30 on the fall-back day in Europe/Berlin) is its
  FIRST occurrence, the earlier instant (02:30 CEST, 00:30 UTC);
- a time that does not exist (02:30 on the spring-forward day) is read with the
  offset in force before the change, so it lands as far past the gap as it was
  into it: 02:30 becomes 03:30 CEST (01:30 UTC), the clock's next real minute
  plus the same half hour.
"""

import datetime
import zoneinfo
from functools import cache

from django.utils.formats import date_format

# Countries with a single time zone in use, by ISO 3166-1 alpha-2 code. A country
# with several (MULTI_ZONE_COUNTRIES) has no default: its events name their zone.
COUNTRY_TIME_ZONES = {
    "AD": "Europe/Andorra",
    "AE": "Asia/Dubai",
    "AL": "Europe/Tirane",
    "AM": "Asia/Yerevan",
    "AR": "America/Argentina/Buenos_Aires",
    "AT": "Europe/Vienna",
    "BA": "Europe/Sarajevo",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "BH": "Asia/Bahrain",
    "BY": "Europe/Minsk",
    "CH": "Europe/Zurich",
    "CN": "Asia/Shanghai",
    "CO": "America/Bogota",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "EG": "Africa/Cairo",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GE": "Asia/Tbilisi",
    "GG": "Europe/Guernsey",
    "GI": "Europe/Gibraltar",
    "GR": "Europe/Athens",
    "HK": "Asia/Hong_Kong",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem",
    "IM": "Europe/Isle_of_Man",
    "IN": "Asia/Kolkata",
    "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome",
    "JE": "Europe/Jersey",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "LI": "Europe/Vaduz",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "MA": "Africa/Casablanca",
    "MC": "Europe/Monaco",
    "MD": "Europe/Chisinau",
    "ME": "Europe/Podgorica",
    "MK": "Europe/Skopje",
    "MT": "Europe/Malta",
    "NG": "Africa/Lagos",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "PH": "Asia/Manila",
    "PL": "Europe/Warsaw",
    "QA": "Asia/Qatar",
    "RO": "Europe/Bucharest",
    "RS": "Europe/Belgrade",
    "SA": "Asia/Riyadh",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
    "SM": "Europe/San_Marino",
    "TH": "Asia/Bangkok",
    "TR": "Europe/Istanbul",
    "TW": "Asia/Taipei",
    "UA": "Europe/Kyiv",
    "VA": "Europe/Vatican",
    "ZA": "Africa/Johannesburg",
}

# Countries spanning several zones: the organizer must choose (e.g. ES has the
# Canaries, PT the Azores and Madeira, NZ the Chathams).
MULTI_ZONE_COUNTRIES = frozenset(
    {"AU", "BR", "CA", "CL", "EC", "ES", "ID", "KZ", "MX", "NZ", "PT", "RU", "US"}
)

# Only for backfilling events that predate time zones: the zone nearly all of a
# multi-zone country's venues use (a new event still has to choose).
BACKFILL_TIME_ZONES = {"ES": "Europe/Madrid", "PT": "Europe/Lisbon"}


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name the system knows, sorted (the form's choices)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def time_zone_is_valid(name: str) -> bool:
    """Whether `name` is an IANA zone zoneinfo can load (e.g. "Europe/Berlin")."""
    if not name or not isinstance(name, str):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def country_time_zone(country: str) -> str | None:
    """The zone of `country` (ISO alpha-2) when it has one; None for a country with
    several zones or one not in the table."""
    return COUNTRY_TIME_ZONES.get((country or "").strip().upper())


def country_needs_time_zone(country: str) -> bool:
    """Whether an event in `country` must name its zone (several zones, no default)."""
    return (country or "").strip().upper() in MULTI_ZONE_COUNTRIES


def time_zone_for_backfill(country: str, fallback: str) -> str:
    """The zone an existing event takes when time zones arrive: its country's, or
    the mainland's for ES and PT (BACKFILL_TIME_ZONES), else `fallback` (the site's
    TIME_ZONE)."""
    country = (country or "").strip().upper()
    return country_time_zone(country) or BACKFILL_TIME_ZONES.get(country) or fallback


def event_starts_at(
    event_date: datetime.date, event_time: datetime.time | None, time_zone: str
) -> datetime.datetime:
    """The event's start as an aware datetime in its own zone (midnight without a
    time); see the module's docstring for the daylight-saving rule."""
    zone = zoneinfo.ZoneInfo(time_zone)
    naive = datetime.datetime.combine(event_date, event_time or datetime.time.min)
    # fold=0, then a round trip through UTC: a skipped wall time comes back as the
    # real instant it names (02:30 in the gap -> 03:30 CEST).
    return naive.replace(tzinfo=zone).astimezone(datetime.UTC).astimezone(zone)


def event_time_label(starts_at: datetime.datetime) -> str:
    """The start as the venue's clock shows it, with the zone's abbreviation at
    that date: "19:30 CET", "19:30 CEST" (or "+04" where the zone has none)."""
    return f"{starts_at:%H:%M} {starts_at.tzname()}"


def event_clock(moment: datetime.datetime, *, event, now: datetime.datetime | None = None) -> str:
    """A moment (an offer's end, a raffle's draw) as `event`'s venue clock shows
    it: "14:35 CET", with the day (as the reader's language writes it) when it
    is not today there ("3 March, 08:30 CET")."""
    zone = event.starts_at.tzinfo
    local = moment.astimezone(zone)
    label = event_time_label(local)
    today = (now or datetime.datetime.now(datetime.UTC)).astimezone(zone).date()
    return (
        label
        if local.date() == today
        else f"{date_format(local.date(), 'MONTH_DAY_FORMAT')}, {label}"
    )
