from django.contrib import admin

from marketplace.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, money

from .models import Listing


@admin.register(Listing)
class ListingAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a listing's price and status change only through the listing
    services, which check the price caps and write the audit trail."""

    list_display = (
        "__str__",
        "event",
        "ticket",
        "seller",
        "price_display",
        "status",
        "listed_at",
        "expires_at",
    )
    list_filter = ("status", "ticket__event__category", "listed_at", "expires_at")
    search_fields = ("ticket__event__name", "seller__email", "=ticket__barcode_last4")
    date_hierarchy = "listed_at"
    list_select_related = ("ticket__event", "seller")
    fields = (
        "ticket",
        "seller",
        "price_display",
        "status",
        "listed_at",
        "expires_at",
        "created_at",
        "updated_at",
    )

    @admin.display(description="event", ordering="ticket__event__event_date")
    def event(self, obj):
        return obj.ticket.event

    @admin.display(description="price", ordering="price")
    def price_display(self, obj):
        return money(obj.price, obj.ticket.event.currency)
