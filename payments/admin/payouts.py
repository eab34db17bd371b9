"""Payouts and payout accounts in the admin: read-only, with a retry action for
failed transfers. Money moves only through the payout services."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, confirm_then, money
from payments import services
from payments.models import Payout, PayoutAccount, Transaction

from .common import request_ip


class PayoutAttentionFilter(admin.SimpleListFilter):
    """The payouts staff look at: refused by Stripe, or waiting for the seller."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return (
            ("failed", _("failed: Stripe refused the transfer")),
            ("given_up", _("failed: automatic retries ended")),
            ("awaiting_account", _("held: waiting for the seller's payout details")),
            ("frozen", _("frozen by a chargeback")),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value == "failed":
            return queryset.filter(status=Payout.Status.FAILED)
        if value == "given_up":
            return queryset.filter(status=Payout.Status.FAILED, next_attempt_at__isnull=True)
        if value == "awaiting_account":
            return queryset.filter(
                status=Payout.Status.HELD, transaction__status=Transaction.Status.COMPLETED
            ).exclude(
                Q(seller__payout_account__transfers_active=True)
                & Q(seller__payout_account__payouts_enabled=True)
            )
        if value == "frozen":
            return queryset.filter(status=Payout.Status.FROZEN)
        return queryset


@admin.register(Payout)
class PayoutAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: payouts are released by the escrow and sent by transfer to the
    seller's Stripe account; a failed one can be sent again."""

    list_display = (
        "__str__",
        "transaction",
        "seller",
        "amount_display",
        "status",
        "failure_message",
        "attempts",
        "next_attempt_at",
        "paid_at",
    )
    list_filter = (PayoutAttentionFilter, "status", "failure_code", "scheduled_at", "paid_at")
    search_fields = (
        "seller__email",
        "=transfer_id",
        "=transaction__payment_id",
        "=seller__payout_account__stripe_account_id",
    )
    date_hierarchy = "created_at"
    list_select_related = ("transaction", "seller")
    fields = (
        "transaction",
        "seller",
        "amount_display",
        "status",
        "transfer_id",
        "reversal_id",
        "transfer_round",
        "attempts",
        "next_attempt_at",
        "failure_code",
        "failure_message",
        "reminded_at",
        "scheduled_at",
        "paid_at",
        "created_at",
        "updated_at",
    )
    actions = ("retry",)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.action(description=_("Send again now (failed payouts)"))
    def retry(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            title=_("Send the payout again"),
            explanation=_(
                "A new transfer to the seller's Stripe account is made now. Use it once the "
                "seller has fixed what Stripe asked for, or after the automatic retries ended."
            ),
            perform=lambda payout, note: services.payout_retry(
                staff=request.user, payout_id=payout.pk, ip_address=request_ip(request)
            ),
        )


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Sellers' Stripe accounts as Stripe last described them. Identity and
    bank details stay with Stripe: open the account in Stripe's dashboard."""

    list_display = (
        "stripe_account_id",
        "user",
        "country",
        "state_display",
        "payouts_enabled",
        "transfers_active",
        "synced_at",
    )
    list_filter = ("payouts_enabled", "transfers_active", "details_submitted", "country")
    search_fields = ("=stripe_account_id", "user__email")
    list_select_related = ("user",)
    ordering = ("-created_at", "-id")
    fields = (
        "user",
        "stripe_account_id",
        "country",
        "default_currency",
        "details_submitted",
        "payouts_enabled",
        "transfers_active",
        "requirements_due",
        "disabled_reason",
        "synced_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("state"))
    def state_display(self, obj):
        return obj.get_state_display()
