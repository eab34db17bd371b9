from django.contrib import admin

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, confirm_then, money
from marketplace.core.client_ip import client_ip

from .models import Listing
from .moderation import listing_take_off_sale


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

    actions = ("take_off_sale",)

    @admin.action(description="Take off sale (active listings)")
    def take_off_sale(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset.select_related("ticket__event", "seller"),
            title="Take these listings off sale",
            explanation=(
                "Each listing is cancelled and its ticket goes back to the seller, who may "
                "list it again. A listing reserved by a buyer or already sold cannot be "
                "taken off sale (settle the sale instead). The note is kept in the audit trail."
            ),
            perform=lambda listing, note: listing_take_off_sale(
                staff=request.user,
                listing=listing,
                note=note.strip(),
                ip_address=client_ip(request),
            ),
        )

    @admin.display(description="event", ordering="ticket__event__event_date")
    def event(self, obj):
        return obj.ticket.event

    @admin.display(description="price", ordering="price")
    def price_display(self, obj):
        return money(obj.price, obj.ticket.event.currency)
