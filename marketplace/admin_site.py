"""The staff admin: Django's admin site behind allauth's login and two-step login.

The admin has no login form of its own. Its login page sends to the site's
(allauth's, `next` pointing back), so a staff login gets what every login
gets: allauth's rate limits (ACCOUNT_RATE_LIMITS "login_failed": per client
address and per account, for the password and for the second step's codes)
and, for an account with a second factor, the step asking for it.

Only staff (is_staff, active) WITH a second factor (an authenticator app or
a passkey: accounts.selectors.user_has_second_factor) may use the admin. A
staff account without one is sent from any admin page to set up an
authenticator app, told why; an account without staff access gets 403.

Installed as the "admin" app in INSTALLED_APPS (EncoreAdminConfig), so every
`admin.site.register` and `@admin.register` lands on this site.
"""

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

NEEDS_SECOND_FACTOR = (
    "Staff accounts need two-step login to reach the admin: set up an authenticator "
    "app first (or add a passkey from your profile's Security section)."
)


def staff_has_second_factor(request) -> bool:
    """Whether the request's user has a second factor; asked once per request
    (the admin checks its permission several times while drawing a page)."""
    # Imported here: this module is loaded with INSTALLED_APPS, before models are.
    from accounts.selectors import user_has_second_factor

    if not hasattr(request, "_encore_second_factor"):
        request._encore_second_factor = user_has_second_factor(user=request.user)
    return request._encore_second_factor


class EncoreAdminSite(admin.AdminSite):
    site_header = "Encore staff"
    site_title = "Encore staff"
    index_title = "Marketplace moderation"

    def has_permission(self, request):
        return super().has_permission(request) and staff_has_second_factor(request)

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """Where the admin sends anyone it does not let in: to allauth's login,
        to set up a second factor, or a 403. It checks no password itself."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            # Imported here, like the selectors: auth's views import its models.
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(next_url, reverse("account_login"))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("This account has no staff access.")
        if not staff_has_second_factor(request):
            messages.warning(request, NEEDS_SECOND_FACTOR)
            return redirect("mfa_activate_totp")
        return redirect(next_url)

    @method_decorator(never_cache)
    def logout(self, request, extra_context=None):
        """The admin's "Log out" is allauth's (it ends the session it recorded)."""
        from allauth.account.views import LogoutView

        return LogoutView.as_view()(request)


class EncoreAdminConfig(AdminConfig):
    default_site = "marketplace.admin_site.EncoreAdminSite"

    def ready(self):
        super().ready()  # autodiscover: every app's admin.py, allauth's too
        from .admin_security import register

        register(self.module.site)
