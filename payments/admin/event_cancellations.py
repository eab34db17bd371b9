"""The runs settling cancelled events' sales, read-only: their progress."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin
from payments.models import EventCancellation

PROGRESS_FIELDS = (
    "state",
    "reservations_released",
    "listings_withdrawn",
    "refunded",
    "handed_to_staff",
    "failed",
    "batches",
    "started_at",
    "finished_at",
    "updated_at",
    "last_error",
)


@admin.register(EventCancellation)
class EventCancellationAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written only by payments.services.event_changes; the event's own admin
    page shows the same progress."""

    list_display = (
        "event",
        "state",
        "reservations_released",
        "listings_withdrawn",
        "refunded",
        "handed_to_staff_link",
        "failed",
        "started_at",
        "finished_at",
    )
    list_filter = ("state",)
    list_select_related = ("event",)
    search_fields = ("event__name",)
    fields = ("event", *PROGRESS_FIELDS)
    readonly_fields = fields

    @admin.display(description=_("handed to staff"), ordering="handed_to_staff")
    def handed_to_staff_link(self, obj):
        url = reverse("admin:payments_transaction_changelist")
        query = urlencode({"event_cancelled": "for_staff", "q": obj.event.name})
        return format_html('<a href="{}?{}">{}</a>', url, query, obj.handed_to_staff + obj.failed)
