from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin

from .models import Email, Message, Notification


@admin.register(Message)
class MessageAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: messages are the evidence staff weigh in a dispute."""

    list_display = ("__str__", "transaction", "sender", "excerpt", "read_at", "created_at")
    list_filter = ("created_at", "read_at")
    search_fields = ("sender__email", "body", "=transaction__payment_id")
    date_hierarchy = "created_at"
    list_select_related = ("transaction", "sender")
    fields = ("transaction", "sender", "body", "read_at", "created_at")

    @admin.display(description=_("message"))
    def excerpt(self, obj):
        return Truncator(obj.body).chars(80)


@admin.register(Notification)
class NotificationAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "user", "type", "read_at", "created_at")
    list_filter = ("type", "created_at", "read_at")
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    fields = ("user", "type", "payload", "read_at", "created_at")


@admin.register(Email)
class EmailAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the outbox is written by the services and the email task."""

    list_display = ("to", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "created_at")
    search_fields = ("to", "subject", "=claimed_by")
    date_hierarchy = "created_at"
    fields = (
        "notification",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "claimed_by",
        "claimed_at",
        "sent_at",
        "created_at",
        "updated_at",
    )
