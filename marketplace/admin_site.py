"""The staff admin: Django's admin site with its login rate limited.

Every login attempt posted to the admin counts, per client address and per
username tried, against RATELIMIT_ADMIN (e.g. "5/15m"): neither one address
nor many can keep guessing a staff password. Over the limit, the login page
answers 429 with Retry-After and checks no password. Only staff accounts
may log in at all (Django's AdminAuthenticationForm).

Installed as the "admin" app in INSTALLED_APPS (EncoreAdminConfig), so every
`admin.site.register` and `@admin.register` lands on this site.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_ratelimit.core import get_usage

from marketplace.api.base import client_ip

RATELIMIT_GROUP = "admin.login"


def _address(group, request) -> str:
    return f"address:{client_ip(request) or 'unknown'}"


def _username(group, request) -> str:
    username = request.POST.get("username", "")
    username = username.strip().lower() if isinstance(username, str) else ""
    # django-ratelimit encodes the key to UTF-8: a lone surrogate would raise.
    username = username.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"account:{username}"


def admin_login_usage(request) -> dict | None:
    """Count this login attempt against RATELIMIT_ADMIN, per client address and
    per username. Returns the tightest of the two usages (django-ratelimit's
    dict: count, limit, should_limit, time_left), or None when rate limits are
    off or the cache is unreachable (RATELIMIT_FAIL_OPEN)."""
    tightest = None
    for key in (_address, _username):
        usage = get_usage(
            request, group=RATELIMIT_GROUP, key=key, rate=settings.RATELIMIT_ADMIN, increment=True
        )
        if usage is None:
            continue
        if tightest is None or (usage["limit"] - usage["count"]) < (
            tightest["limit"] - tightest["count"]
        ):
            tightest = usage
    return tightest


class EncoreAdminSite(admin.AdminSite):
    site_header = "Encore staff"
    site_title = "Encore staff"
    index_title = "Marketplace moderation"

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if request.method == "POST":
            usage = admin_login_usage(request)
            if usage is not None and usage["should_limit"]:
                return self.login_refused(request, retry_after=max(int(usage["time_left"]), 1))
        return super().login(request, extra_context)

    def login_refused(self, request, *, retry_after: int):
        context = {
            **self.each_context(request),
            "title": "Too many login attempts",
            "retry_minutes": max(1, -(-retry_after // 60)),
        }
        response = TemplateResponse(request, "admin/login_ratelimited.html", context, status=429)
        response["Retry-After"] = str(retry_after)
        return response


class EncoreAdminConfig(AdminConfig):
    default_site = "marketplace.admin_site.EncoreAdminSite"
