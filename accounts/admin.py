from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.db import models
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from marketplace.admin import AuditedAdminMixin

from .models import User


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


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "phone", "avatar_url", "preferences")}),
        ("Role and status", {"fields": ("role", "status", "is_active")}),
        ("Verification", {"fields": ("email_verified", "phone_verified")}),
        (
            "Permissions",
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login_at")}),
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


# simplejwt's blacklist registers its tables in the admin; they hold whole
# refresh tokens, which would let a staff member act as any user. Staff
# suspend or ban an account instead: every token of it is refused at once.
for token_model in (OutstandingToken, BlacklistedToken):
    if admin.site.is_registered(token_model):
        admin.site.unregister(token_model)
