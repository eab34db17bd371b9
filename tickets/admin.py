from django.contrib import admin

from marketplace.admin import AuditedAdminMixin, LargeTableAdminMixin, money

from .barcodes import barcode_hash
from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(LargeTableAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Staff may correct how a ticket is described (type, section, row, seat).

    Its event, owner, face value and status change only through the ticket
    services (upload, listing, sale, transfer), which keep the barcode and price
    rules. The barcode hash is never shown; the file lives in private storage
    with no public URL, so only its stored name is shown.
    """

    list_display = (
        "__str__",
        "event",
        "owner",
        "ticket_type",
        "face_value_display",
        "status",
        "created_at",
    )
    list_filter = ("status", "ticket_type", "event__category", "created_at")
    search_fields = ("=barcode_last4", "event__name", "owner__email", "section")
    date_hierarchy = "created_at"
    list_select_related = ("event", "owner")
    fields = (
        "event",
        "owner",
        "ticket_type",
        ("section", "row", "seat"),
        "face_value",
        "status",
        "barcode_last4",
        "stored_file",
        "created_at",
        "updated_at",
    )
    # Everything shown but the seat description is read-only.
    readonly_fields = tuple(
        f for f in fields if f not in ("ticket_type", ("section", "row", "seat"))
    )

    def has_add_permission(self, request):
        return False  # tickets are uploaded by their owners (duplicate-barcode guard)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="face value", ordering="face_value")
    def face_value_display(self, obj):
        return money(obj.face_value, obj.event.currency)

    @admin.display(description="file")
    def stored_file(self, obj):
        return obj.file.name or "-"

    def get_search_results(self, request, queryset, search_term):
        """A full barcode typed in the search box finds its ticket through the hash."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            results |= queryset.filter(barcode_hash=barcode_hash(term))
        return results, may_have_duplicates
