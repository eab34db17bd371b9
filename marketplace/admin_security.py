"""Two-step login and logged-in devices in the admin, in place of allauth's own
admins of those models (EncoreAdminConfig.ready swaps them).

Staff read who has which second factor and which devices are logged in; they
never see a secret (an authenticator's data stays out of every page) and never
add or edit one. They may remove a member's authenticators (after checking it
is them: a lost phone and lost recovery codes) and end a session (a device the
member does not recognise); both are audit-logged (AuditedAdminMixin).
"""

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin

from marketplace.core.admin import AuditedAdminMixin


class _ViewAndDeleteOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuthenticatorAdmin(_ViewAndDeleteOnly, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    ordering = ("-id",)
    # Never `data`: the (encrypted) TOTP secret, the recovery codes' seed.
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields


class UserSessionAdmin(_ViewAndDeleteOnly, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "ip", "user_agent", "created_at", "last_seen_at")
    search_fields = ("user__email", "=ip")
    list_select_related = ("user",)
    ordering = ("-id",)
    # Never the session key: it is the cookie that logs the device in.
    fields = ("user", "ip", "user_agent", "created_at", "last_seen_at")
    readonly_fields = fields

    def delete_model(self, request, obj):
        # Deleting the row alone would leave the device logged in: end the session.
        self._audit(request, obj, "deleted")
        obj.end()

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


def register(site: admin.AdminSite) -> None:
    for model, model_admin in (
        (Authenticator, AuthenticatorAdmin),
        (UserSession, UserSessionAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
