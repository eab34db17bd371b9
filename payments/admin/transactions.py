"""Transactions in the admin: read-only, with the staff refund action."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, money
from messaging.models import Message
from payments import services
from payments.models import Dispute, EventCancellationOutcome, Payout, Transaction

from .common import refund_action, request_ip

TRANSACTION_MONEY = ("final_price", "platform_fee", "seller_payout")


class PayoutInline(ReadOnlyInline):
    model = Payout
    fields = ("amount_display", "status", "transfer_id", "scheduled_at", "paid_at")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fk_name = "transaction"
    fields = ("kind", "opened_by", "reason", "status", "resolved_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("opened_by", "resolved_by")


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "sender", "body", "read_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender")


class EventCancelledForStaffFilter(admin.SimpleListFilter):
    """Purchases of cancelled events the automatic refund did not settle: the
    seller had been paid, or Stripe refused the refund. Staff refund them (the
    action below takes the payout back first) or write to the buyer."""

    title = _("event cancelled")
    parameter_name = "event_cancelled"

    def lookups(self, request, model_admin):
        return (
            ("for_staff", _("Needs staff (not refunded yet)")),
            *EventCancellationOutcome.choices,
        )

    def queryset(self, request, queryset):
        if self.value() == "for_staff":
            return queryset.filter(
                event_cancellation__in=(
                    EventCancellationOutcome.FOR_STAFF,
                    EventCancellationOutcome.REFUND_FAILED,
                )
            ).exclude(status=Transaction.Status.REFUNDED)
        if self.value() in EventCancellationOutcome.values:
            return queryset.filter(event_cancellation=self.value())
        return queryset


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
    list_filter = (
        EventCancelledForStaffFilter,
        "status",
        "payment_status",
        "payment_gateway",
        "created_at",
        "paid_at",
    )
    search_fields = (
        "=payment_id",
        "=charge_id",
        "buyer__email",
        "seller__email",
        "listing__ticket__event__name",
    )
    date_hierarchy = "created_at"
    list_select_related = ("listing__ticket__event", "buyer", "seller")
    fieldsets = (
        (None, {"fields": ("listing", "buyer", "seller")}),
        (_("Money"), {"fields": ("final_price_display", "platform_fee_display", "payout_display")}),
        (
            _("Status"),
            {
                "fields": (
                    "status",
                    "payment_status",
                    "reserved_until",
                    "paid_at",
                    "event_cancellation",
                    "event_move_notified_at",
                )
            },
        ),
        (
            _("Payment"),
            {
                "fields": (
                    "payment_method",
                    "payment_gateway",
                    "payment_id",
                    "charge_id",
                    "payment_attempts",
                )
            },
        ),
        (_("Dates"), {"fields": ("confirmed_at", "created_at", "updated_at")}),
    )
    inlines = (PayoutInline, DisputeInline, MessageInline)
    actions = ("refund",)

    @admin.action(description=_("Refund the buyer in full (paid or completed, undisputed)"))
    def refund(self, request, queryset):
        return refund_action(
            self,
            request,
            queryset,
            perform=lambda txn, note: services.transaction_refund(
                staff=request.user, transaction_id=txn.pk, note=note, ip_address=request_ip(request)
            ),
        )

    @admin.display(description=_("event"), ordering="listing__ticket__event__event_date")
    def event(self, obj):
        return obj.listing.ticket.event

    @admin.display(description=_("price paid"), ordering="final_price")
    def final_price_display(self, obj):
        return money(obj.final_price, obj.currency)

    @admin.display(description=_("platform fee"), ordering="platform_fee")
    def platform_fee_display(self, obj):
        return money(obj.platform_fee, obj.currency)

    @admin.display(description=_("seller payout"), ordering="seller_payout")
    def payout_display(self, obj):
        return money(obj.seller_payout, obj.currency)
