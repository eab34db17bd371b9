"""Rate limits with django-ratelimit on the shared cache (Redis in production).

Logins: RATELIMIT_AUTH per client address (marketplace.core.client_ip, which
believes the trusted proxy's header): the address that keeps trying is
refused. Per account, failures slow the account down rather than lock it
(accounts/login_limits.py), so a botnet cannot lock its owner out. Every
other call: RATELIMIT_API per user, or per address when anonymous. The rates
are read at each request, so a changed setting applies at once.

A 429 answers RATE_LIMIT_EXCEEDED with Retry-After; every limited response
carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from marketplace.core.client_ip import client_ip
from marketplace.core.errors import RateLimitExceeded


def _address(group, request):
    # Not django-ratelimit's "ip" key: it fails on a request without
    # REMOTE_ADDR (a Unix socket, some test clients) instead of limiting it.
    return client_ip(request) or "unknown"


def _user_or_address(group, request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return _address(group, request)


class _RateLimit(BaseThrottle):
    group = "api"
    rate_setting = "RATELIMIT_API"
    keys = (_user_or_address,)

    def allow_request(self, request, view):
        rate = getattr(settings, self.rate_setting)
        tightest = None
        for key in self.keys:
            usage = get_usage(request, group=self.group, key=key, rate=rate, increment=True)
            if usage is None:  # rate limits off, or the cache unreachable (fail open)
                continue
            if tightest is None or usage["limit"] - usage["count"] < (
                tightest["limit"] - tightest["count"]
            ):
                tightest = usage
        if tightest is None:
            return True
        request._request.encore_ratelimit = tightest
        if tightest["should_limit"]:
            raise RateLimitExceeded(retry_after=tightest["time_left"])
        return True


class ApiRateThrottle(_RateLimit):
    """RATELIMIT_API per user (per client address when anonymous)."""


class LoginRateThrottle(_RateLimit):
    """RATELIMIT_AUTH per client address (the account's own cooldown is
    accounts.login_limits, checked by the login itself)."""

    group = "api.auth.login"
    rate_setting = "RATELIMIT_AUTH"
    keys = (_address,)


class RegisterRateThrottle(_RateLimit):
    """RATELIMIT_AUTH per client address: sign-ups in bulk are refused."""

    group = "api.auth.register"
    rate_setting = "RATELIMIT_AUTH"
    keys = (_address,)


class RateLimitHeadersMiddleware:
    """Adds the RateLimit-* headers (IETF draft) to responses that were limited.

    A page that refused a request for a while without an error of its own
    (the login form of an account cooling down: accounts.adapter) sets
    `request.encore_retry_after` to the seconds to wait: its answer becomes
    429 with Retry-After, the page itself saying why.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        retry_after = getattr(request, "encore_retry_after", None)
        if retry_after and response.status_code == 200:
            response.status_code = 429
            response.reason_phrase = "Too Many Requests"
            response["Retry-After"] = str(max(int(retry_after), 1))
        usage = getattr(request, "encore_ratelimit", None)
        if usage:
            response["RateLimit-Limit"] = str(usage["limit"])
            response["RateLimit-Remaining"] = str(max(usage["limit"] - usage["count"], 0))
            response["RateLimit-Reset"] = str(max(usage["time_left"], 0))
        return response
