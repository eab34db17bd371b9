import contextvars

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as BaseAdminPasswordChangeForm
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from marketplace.core.admin import (
    ActionNoteForm,
    AuditedAdminMixin,
    ReadOnlyAdminMixin,
    confirm_then,
)
from marketplace.core.client_ip import client_ip

from . import services
from .models import TraderDeclaration, User
from .traders import trader_declaration_review

REASON_REQUIRED = _("Give the reason: it is kept in the audit trail with the change.")


def status_action(modeladmin, request, queryset, *, status, title, explanation):
    """Change the status of the selected accounts through accounts.services
    (audited, refused for one's own account), after a confirmation page that
    asks for the reason."""
    form = ActionNoteForm(request.POST)
    if request.POST.get("post") == "yes" and form.is_valid() and not form.cleaned_data["note"]:
        # Show the confirmation page again, the missing reason said next to its field.
        form.add_error("note", REASON_REQUIRED)
        request.POST = request.POST.copy()
        del request.POST["post"]
        response = confirm_then(
            modeladmin, request, queryset, title=title, explanation=explanation, perform=None
        )
        response.context_data["form"] = form
        return response
    return confirm_then(
        modeladmin,
        request,
        queryset,
        title=title,
        explanation=explanation,
        perform=lambda user, note: services.user_set_status(
            actor=request.user,
            user=user,
            status=status,
            reason=note.strip(),
            ip_address=client_ip(request),
        ),
    )


class EmailLoginFormMixin:
    """The email is the login: stored lower-case, unique whatever its case."""

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data.get("email"))
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                self.instance.unique_error_message(User, ["email"]), code="unique"
            )
        return email


class UserCreationForm(EmailLoginFormMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(EmailLoginFormMixin, BaseUserChangeForm):
    class Meta:
        model = User
        fields = ("email",)


# The request of the admin view running (the password form is built by
# Django's UserAdmin, which passes it no request): who acts, from where.
_admin_request = contextvars.ContextVar("encore_admin_request", default=None)


class AdminPasswordChangeForm(BaseAdminPasswordChangeForm):
    """Staff set an account's password: every session of the account ends, as
    when its owner changes it (accounts.services.user_password_set)."""

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        request = _admin_request.get()
        return services.user_password_set(
            user=self.user,
            password=self.cleaned_data["password1"],
            reason="password_changed",
            actor=getattr(request, "user", None),
            ip_address=client_ip(request) if request is not None else None,
        )


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "phone", "avatar_url", "preferences")}),
        (_("Role and status"), {"fields": ("role", "status", "is_active")}),
        (_("Verification"), {"fields": ("email_verified", "phone_verified")}),
        (
            _("Permissions"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("created_at", "updated_at", "last_login_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("created_at", "updated_at", "last_login_at")
    list_display = ("email", "name", "role", "status", "email_verified", "is_staff", "created_at")
    list_filter = ("role", "status", "is_staff", "email_verified", "phone_verified", "is_active")
    search_fields = ("email", "name", "phone")
    date_hierarchy = "created_at"
    # Newest first; the primary key orders like created_at and is indexed.
    ordering = ("-id",)
    list_per_page = 50
    # Links typed without a scheme are https (the Django 6.0 default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ("suspend", "ban", "reactivate")

    def user_change_password(self, request, id, form_url=""):
        token = _admin_request.set(request)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _admin_request.reset(token)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            # A new login address: every session of the account ends.
            services.user_sessions_revoke(
                user=obj, reason="email_changed", actor=request.user, ip_address=client_ip(request)
            )

    @admin.action(description=_("Suspend: no buying, selling or messaging until reactivated"))
    def suspend(self, request, queryset):
        return status_action(
            self,
            request,
            queryset,
            status=User.Status.SUSPENDED,
            title=gettext("Suspend these accounts"),
            explanation=gettext(
                "They can no longer buy, sell or send messages, on the site and through "
                "the API, until staff reactivate them. Their open sales are not changed."
            ),
        )

    @admin.action(description=_("Ban: close for good (buying, selling, messaging)"))
    def ban(self, request, queryset):
        return status_action(
            self,
            request,
            queryset,
            status=User.Status.BANNED,
            title=gettext("Ban these accounts"),
            explanation=gettext(
                "They can no longer buy, sell or send messages, on the site and through "
                "the API. Use it for fraud or repeated abuse; suspend for anything less."
            ),
        )

    @admin.action(description=_("Reactivate: allow buying, selling and messaging again"))
    def reactivate(self, request, queryset):
        return status_action(
            self,
            request,
            queryset,
            status=User.Status.ACTIVE,
            title=gettext("Reactivate these accounts"),
            explanation=gettext("They can buy, sell and send messages again."),
        )


# simplejwt's blacklist registers its tables in the admin; they hold whole
# refresh tokens, which would let a staff member act as any user. Staff
# suspend or ban an account instead: every token of it is refused at once.
# allauth's email addresses are left out too: ticking "verified" there would
# skip the account's email_verified badge and its audit row (the address is
# confirmed by its owner, through the emailed link or the API's code).
for hidden_model in (OutstandingToken, BlacklistedToken, EmailAddress):
    if admin.site.is_registered(hidden_model):
        admin.site.unregister(hidden_model)


@admin.register(TraderDeclaration)
class TraderDeclarationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The queue of sellers' trader declarations (EU DSA Art. 30). Read-only:
    decisions go through accounts.traders (the actions below), which email the
    seller and write the audit trail."""

    list_display = (
        "__str__",
        "user",
        "kind",
        "status",
        "business_name",
        "trade_register_number",
        "declared_at",
        "reviewed_by",
    )
    list_filter = ("status", "kind", "approval_required", "declared_at")
    search_fields = ("user__email", "business_name", "trade_register_number", "vat_number")
    list_select_related = ("user", "reviewed_by")
    # The oldest declaration first: the queue is worked in order.
    ordering = ("declared_at", "id")
    list_per_page = 50
    fields = (
        "user",
        "kind",
        "status",
        "business_name",
        "address",
        "phone",
        "email",
        "trade_register_name",
        "trade_register_number",
        "vat_number",
        "compliance_certified",
        "approval_required",
        "declared_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("approve", "reject")

    def _review(self, request, queryset, *, outcome, title, explanation):
        return confirm_then(
            self,
            request,
            queryset.select_related("user"),
            title=title,
            explanation=explanation,
            perform=lambda declaration, note: trader_declaration_review(
                staff=request.user,
                declaration=declaration,
                outcome=outcome,
                reason=note,
                ip_address=client_ip(request),
            ),
        )

    @admin.action(description=_("Approve the trader's details"))
    def approve(self, request, queryset):
        return self._review(
            request,
            queryset,
            outcome=TraderDeclaration.Status.APPROVED,
            title=gettext("Approve these traders' details"),
            explanation=gettext(
                "Only complete details waiting for review can be approved. The seller is "
                "emailed; the note (optional) is included."
            ),
        )

    @admin.action(description=_("Reject the trader's details (with reasons): listing stops"))
    def reject(self, request, queryset):
        return self._review(
            request,
            queryset,
            outcome=TraderDeclaration.Status.REJECTED,
            title=gettext("Reject these traders' details"),
            explanation=gettext(
                "The seller's tickets on sale come off sale, and they can put none on sale "
                "until they correct their details and staff approve them. The note is the "
                "reasons (required): it is emailed to the seller."
            ),
        )
