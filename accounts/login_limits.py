"""Failed logins slow an account down; they never lock its owner out.

The address that keeps failing is refused outright (RATELIMIT_AUTH per client
address: allauth's "login_failed" for the site, the API's LoginRateThrottle).
Per account, a lockout would hand anyone who knows an address a way to keep
its owner out, so instead:

- the first failures are free: as many as RATELIMIT_AUTH's count within its
  period (5 in 15 minutes), from anywhere;
- each failure from then on starts a cooldown of LOGIN_COOLDOWN_SECONDS,
  doubling with each further failure, at most RATELIMIT_AUTH's period;
- during a cooldown, a login from an address the account has logged in from
  before (LOGIN_KNOWN_ADDRESS_DAYS) is checked as usual: the owner at home
  gets in with their password. From any other address the answer is 429
  with Retry-After, without checking the password, and it does not count.

Counters are kept per address typed, whether or not an account uses it, so
they tell nothing about who has an account. They live in the cache (Redis):
with Redis down, they fail open like every rate limit (RATELIMIT_FAIL_OPEN).
"""

import hashlib
import math
import re

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.core.errors import RateLimitExceeded

# How many addresses an account remembers as its owner's.
KNOWN_ADDRESSES_KEPT = 10
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate() -> tuple[int, int]:
    """RATELIMIT_AUTH ("5/15m") as (count, period in seconds)."""
    match = _RATE.match(settings.RATELIMIT_AUTH)
    if not match:
        raise ValueError(f"RATELIMIT_AUTH is not a rate like 5/15m: {settings.RATELIMIT_AUTH!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _SECONDS[unit]


def _keys(email: str) -> tuple[str, str, str]:
    typed = (email or "").strip().lower() if isinstance(email, str) else ""
    digest = hashlib.sha256(typed.encode("utf-8", "backslashreplace")).hexdigest()[:32]
    return (f"login:failures:{digest}", f"login:cooldown:{digest}", f"login:known:{digest}")


def _now() -> float:
    return timezone.now().timestamp()


def login_cooldown_left(*, email: str, ip_address: str | None) -> int:
    """Seconds before a login to `email` from `ip_address` is checked again;
    0 when it may go ahead (no cooldown, or an address of the owner's)."""
    _failures, cooldown, known = _keys(email)
    until = cache.get(cooldown)
    if not until or until <= _now():
        return 0
    if ip_address and ip_address in (cache.get(known) or []):
        return 0
    return max(math.ceil(until - _now()), 1)


def login_cooldown_check(*, email: str, ip_address: str | None) -> None:
    """Raise RateLimitExceeded (details reason ACCOUNT_COOLDOWN) while the
    account cools down for this address."""
    left = login_cooldown_left(email=email, ip_address=ip_address)
    if left:
        raise RateLimitExceeded(
            _(
                "Too many failed logins on this account. Try again in %(wait)s, or "
                "log in from a device you have used with Encore before."
            )
            % {"wait": _duration(left)},
            retry_after=left,
            details={"reason": "ACCOUNT_COOLDOWN"},
        )


def login_failure_record(*, email: str) -> None:
    """Count a wrong password for `email`; past RATELIMIT_AUTH's count, start
    (or lengthen) the account's cooldown."""
    failures, cooldown, _known = _keys(email)
    limit, period = _rate()
    cache.add(failures, 0, timeout=period)
    try:
        count = cache.incr(failures)
    except ValueError:  # expired between add and incr
        cache.set(failures, 1, timeout=period)
        count = 1
    if not count:  # the cache is unreachable: fail open
        return
    cache.touch(failures, timeout=period)
    if count >= limit:
        seconds = min(settings.LOGIN_COOLDOWN_SECONDS * 2 ** (count - limit), period)
        cache.set(cooldown, _now() + seconds, timeout=seconds)


def login_success_record(*, email: str, ip_address: str | None) -> None:
    """The right password for `email` from `ip_address`: the address is the
    owner's from now on (the most recent LOGIN_KNOWN_ADDRESS_DAYS, at most
    KNOWN_ADDRESSES_KEPT of them). The failures are not wiped: an attacker
    who watches the owner log in gains no fresh guesses."""
    if not ip_address:
        return
    _failures, _cooldown, known = _keys(email)
    addresses = [ip_address] + [a for a in cache.get(known) or [] if a != ip_address]
    cache.set(
        known, addresses[:KNOWN_ADDRESSES_KEPT], timeout=settings.LOGIN_KNOWN_ADDRESS_DAYS * 86400
    )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
