from django.contrib import admin

from marketplace.admin import (
    AuditedAdminMixin,
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    confirm_then,
    money,
)
from messaging.models import Message

from . import services
from .models import Dispute, Payout, StripeEvent, Transaction


def _ip(request):
    return request.META.get("REMOTE_ADDR") or None


REFUND_EXPLANATION = (
    "The buyer gets the full price back through Stripe, the ticket becomes void and the "
    "seller's payout is cancelled. Both are told. This cannot be undone."
)


def _refund_action(admin_, request, queryset, perform):
    return confirm_then(
        admin_,
        request,
        queryset,
        title="Refund the buyer",
        explanation=REFUND_EXPLANATION,
        perform=perform,
    )


TRANSACTION_MONEY = ("final_price", "platform_fee", "seller_payout")


class PayoutInline(ReadOnlyInline):
    model = Payout
    fields = ("amount_display", "status", "gateway_reference", "scheduled_at", "paid_at")
    readonly_fields = fields

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fk_name = "transaction"
    fields = ("opened_by", "reason", "status", "resolved_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("opened_by", "resolved_by")


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "sender", "body", "read_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender")


@admin.register(Transaction)
class TransactionAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: money and statuses move only through the payment services and
    Stripe's webhooks (escrow, refunds, payouts)."""

    list_display = (
        "__str__",
        "event",
        "buyer",
        "seller",
        "final_price_display",
        "status",
        "payment_status",
        "created_at",
    )
    list_filter = ("status", "payment_status", "payment_gateway", "created_at", "paid_at")
    search_fields = (
        "=payment_id",
        "buyer__email",
        "seller__email",
        "listing__ticket__event__name",
    )
    date_hierarchy = "created_at"
    list_select_related = ("listing__ticket__event", "buyer", "seller")
    fieldsets = (
        (None, {"fields": ("listing", "buyer", "seller")}),
        ("Money", {"fields": ("final_price_display", "platform_fee_display", "payout_display")}),
        ("Status", {"fields": ("status", "payment_status", "reserved_until", "paid_at")}),
        ("Payment", {"fields": ("payment_method", "payment_gateway", "payment_id")}),
        ("Dates", {"fields": ("confirmed_at", "created_at", "updated_at")}),
    )
    inlines = (PayoutInline, DisputeInline, MessageInline)
    actions = ("refund",)

    @admin.action(description="Refund the buyer in full (paid, undisputed purchases)")
    def refund(self, request, queryset):
        return _refund_action(
            self,
            request,
            queryset,
            perform=lambda txn, note: services.transaction_refund(
                staff=request.user, transaction_id=txn.pk, note=note, ip_address=_ip(request)
            ),
        )

    @admin.display(description="event", ordering="listing__ticket__event__event_date")
    def event(self, obj):
        return obj.listing.ticket.event

    @admin.display(description="price paid", ordering="final_price")
    def final_price_display(self, obj):
        return money(obj.final_price, obj.currency)

    @admin.display(description="platform fee", ordering="platform_fee")
    def platform_fee_display(self, obj):
        return money(obj.platform_fee, obj.currency)

    @admin.display(description="seller payout", ordering="seller_payout")
    def payout_display(self, obj):
        return money(obj.seller_payout, obj.currency)


@admin.register(Payout)
class PayoutAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: payouts are scheduled and paid when the escrow releases."""

    list_display = (
        "__str__",
        "transaction",
        "seller",
        "amount_display",
        "status",
        "scheduled_at",
        "paid_at",
    )
    list_filter = ("status", "scheduled_at", "paid_at")
    search_fields = ("seller__email", "=gateway_reference", "=transaction__payment_id")
    date_hierarchy = "created_at"
    list_select_related = ("transaction", "seller")
    fields = (
        "transaction",
        "seller",
        "amount_display",
        "status",
        "gateway_reference",
        "failure_message",
        "scheduled_at",
        "paid_at",
        "created_at",
        "updated_at",
    )

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)


@admin.register(Dispute)
class DisputeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The queue of disputes, oldest first.

    Staff may keep a resolution note; the status, and who resolved it, change
    only through the refund and release actions (which settle the money too).
    """

    list_display = (
        "__str__",
        "transaction",
        "opened_by",
        "reason",
        "status",
        "resolved_by",
        "created_at",
    )
    list_filter = ("status", "reason", "created_at")
    search_fields = (
        "=transaction__payment_id",
        "opened_by__email",
        "transaction__seller__email",
        "description",
    )
    date_hierarchy = "created_at"
    ordering = ("created_at", "id")
    list_select_related = ("transaction", "opened_by", "resolved_by")
    list_per_page = 50
    fields = (
        "transaction",
        "opened_by",
        "reason",
        "description",
        "status",
        "resolution_note",
        "resolved_by",
        "resolved_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "transaction",
        "opened_by",
        "reason",
        "description",
        "status",
        "resolved_by",
        "resolved_at",
        "created_at",
        "updated_at",
    )

    actions = ("resolve_refund", "resolve_release")

    def has_add_permission(self, request):
        return False  # buyers open disputes

    @admin.action(description="Settle for the buyer: refund in full, void the ticket")
    def resolve_refund(self, request, queryset):
        return _refund_action(
            self,
            request,
            queryset,
            perform=lambda dispute, note: services.dispute_resolve_refund(
                staff=request.user, dispute_id=dispute.pk, note=note, ip_address=_ip(request)
            ),
        )

    @admin.action(description="Settle for the seller: release the payout")
    def resolve_release(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            title="Pay the seller",
            explanation=(
                "The sale completes and the seller's payout is sent. Both are told. "
                "This cannot be undone."
            ),
            perform=lambda dispute, note: services.dispute_resolve_release(
                staff=request.user, dispute_id=dispute.pk, note=note, ip_address=_ip(request)
            ),
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every webhook event Stripe delivered, as received."""

    list_display = ("event_id", "type", "received_at")
    list_filter = ("type", "received_at")
    search_fields = ("=event_id",)
    ordering = ("-received_at", "-id")
    show_full_result_count = False
    fields = ("event_id", "type", "received_at", "payload")
    readonly_fields = fields
