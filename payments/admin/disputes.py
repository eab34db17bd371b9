"""The dispute queue: buyers' reports and banks' chargebacks, open ones first."""

import json
from datetime import timedelta

from django.contrib import admin
from django.db.models import Case, Q, Value, When
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import AuditedAdminMixin, ReadOnlyAdminMixin, confirm_then, money
from marketplace.core.models import AuditLog
from messaging.models import Message
from payments import services
from payments.models import Dispute, StripeEvent

from .common import refund_action, request_ip


class DisputeAgeFilter(admin.SimpleListFilter):
    """Open disputes waiting longer than a day, or three: the ones to take first."""

    title = _("age")
    parameter_name = "open_for"
    HOURS = {"24h": 24, "72h": 72}

    def lookups(self, request, model_admin):
        return (("24h", _("open > 24 h")), ("72h", _("open > 72 h")))

    def queryset(self, request, queryset):
        hours = self.HOURS.get(self.value())
        if hours is None:
            return queryset
        return queryset.filter(
            status=Dispute.Status.OPEN, created_at__lte=timezone.now() - timedelta(hours=hours)
        )


def _table(headers, rows, empty):
    """A small read-only table for the change page (every value escaped)."""
    if not rows:
        return format_html("<p>{}</p>", empty)
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _admin_link(obj):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj)


@admin.register(Dispute)
class DisputeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The queue of disputes: open ones first, the oldest at the top.

    The change page shows what staff weigh: the sale, the messages between
    buyer and seller, and the audit trail of the transaction, its payout and
    the dispute. Staff may keep a resolution note; the status, and who
    resolved it, change only through the refund and release actions (which
    settle the money too).
    """

    list_display = (
        "__str__",
        "kind",
        "event",
        "opened_by",
        "reason",
        "status",
        "open_for",
        "created_at",
    )
    list_filter = ("status", "kind", DisputeAgeFilter, "reason", "created_at")
    search_fields = (
        "=transaction__payment_id",
        "opened_by__email",
        "transaction__seller__email",
        "description",
    )
    date_hierarchy = "created_at"
    ordering = ("created_at", "id")
    list_select_related = ("transaction__listing__ticket__event", "opened_by")
    list_per_page = 50
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "transaction",
                    "kind",
                    "opened_by",
                    "reason",
                    "stripe_dispute_id",
                    "stripe_reason",
                    "description",
                    "status",
                    "resolution_note",
                    "resolved_by",
                    "resolved_at",
                    "created_at",
                    "updated_at",
                ),
                "description": _(
                    "To settle a buyer's report, tick it in the queue and choose "
                    "“Settle for the buyer” or “Settle for the seller”. "
                    "A chargeback is decided by the buyer's bank: answer it with evidence in "
                    "Stripe's dashboard; Encore applies the decision when Stripe reports it."
                ),
            },
        ),
        (_("The sale"), {"fields": ("sale",)}),
        (_("Messages between buyer and seller"), {"fields": ("thread",)}),
        (_("Audit trail (transaction, payout, dispute)"), {"fields": ("audit_trail",)}),
    )
    readonly_fields = (
        "transaction",
        "kind",
        "opened_by",
        "reason",
        "stripe_dispute_id",
        "stripe_reason",
        "description",
        "status",
        "resolved_by",
        "resolved_at",
        "created_at",
        "updated_at",
        "sale",
        "thread",
        "audit_trail",
    )

    actions = ("resolve_refund", "resolve_release")

    def get_ordering(self, request):
        # Open disputes first, each group oldest first: the queue staff work through.
        open_first = Case(When(status=Dispute.Status.OPEN, then=Value(0)), default=Value(1))
        return (open_first.asc(), "created_at", "id")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "transaction__listing__ticket__event",
                "transaction__buyer",
                "transaction__seller",
                "transaction__payout",
                "opened_by",
                "resolved_by",
            )
        )

    def has_add_permission(self, request):
        return False  # buyers open disputes; Stripe reports chargebacks

    @admin.display(
        description=_("event"), ordering="transaction__listing__ticket__event__event_date"
    )
    def event(self, obj):
        return obj.transaction.listing.ticket.event

    @admin.display(description=_("open for"))
    def open_for(self, obj):
        if obj.status != Dispute.Status.OPEN:
            return "-"
        return timesince(obj.created_at)

    @admin.display(description=_("sale"))
    def sale(self, obj):
        txn = obj.transaction
        ticket = txn.listing.ticket
        event = ticket.event
        seat = ", ".join(
            f"{label} {value}"
            for label, value in (
                (_("section"), ticket.section),
                (_("row"), ticket.row),
                (_("seat"), ticket.seat),
            )
            if value
        )
        payout = getattr(txn, "payout", None)
        rows = [
            (_("Transaction"), _admin_link(txn)),
            (
                _("Event"),
                f"{event.name}, {event.event_date:%Y-%m-%d}, {event.venue_name}, {event.city}",
            ),
            (_("Ticket"), format_html("{} ({})", _admin_link(ticket), seat or _("no seat"))),
            (_("Buyer"), _admin_link(txn.buyer)),
            (_("Seller"), _admin_link(txn.seller)),
            (_("Price paid"), money(txn.final_price, txn.currency)),
            (_("Platform fee"), money(txn.platform_fee, txn.currency)),
            (_("Seller payout"), money(txn.seller_payout, txn.currency)),
            (
                _("Status"),
                _("%(status)s (payment %(payment)s)")
                % {
                    "status": txn.get_status_display(),
                    "payment": txn.get_payment_status_display(),
                },
            ),
            (
                _("Payment"),
                _("%(method)s via %(gateway)s: %(id)s")
                % {
                    "method": txn.payment_method or "-",
                    "gateway": txn.payment_gateway,
                    "id": txn.payment_id or "-",
                },
            ),
            (_("Paid"), _when(txn.paid_at)),
            (
                _("Payout"),
                f"{payout.get_status_display()}, {money(payout.amount, payout.currency)}"
                if payout
                else _("none yet"),
            ),
        ]
        body = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows)
        return format_html("<table><tbody>{}</tbody></table>", body)

    @admin.display(description=_("messages"))
    def thread(self, obj):
        txn = obj.transaction
        messages_ = Message.objects.filter(transaction_id=txn.pk).select_related("sender")
        roles = {txn.buyer_id: _("buyer"), txn.seller_id: _("seller")}
        rows = [
            (
                _when(m.created_at),
                f"{m.sender} ({roles.get(m.sender_id, _('staff'))})",
                linebreaksbr(m.body, autoescape=True),
                _when(m.read_at) if m.read_at else _("unread"),
            )
            for m in messages_.order_by("created_at", "id")
        ]
        return _table((_("sent"), _("from"), _("message"), _("read")), rows, _("No messages."))

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        txn = obj.transaction
        wanted = Q(entity_type="transaction", entity_id=str(txn.pk)) | Q(
            entity_type="dispute", entity_id=str(obj.pk)
        )
        payout = getattr(txn, "payout", None)
        if payout is not None:
            wanted |= Q(entity_type="payout", entity_id=str(payout.pk))
        logs = AuditLog.objects.filter(wanted).select_related("actor").order_by("created_at", "id")
        rows = [
            (
                _when(log.created_at),
                log.action,
                f"{log.entity_type} #{log.entity_id}",
                str(log.actor) if log.actor_id else _("system"),
                json.dumps(log.changes, ensure_ascii=False, sort_keys=True) if log.changes else "-",
                log.ip_address or "-",
            )
            for log in logs
        ]
        return _table(
            (_("when"), _("action"), _("of"), _("by"), _("changes"), "IP"),
            rows,
            _("Nothing recorded yet."),
        )

    @admin.action(description=_("Settle for the buyer: refund in full, void the ticket"))
    def resolve_refund(self, request, queryset):
        return refund_action(
            self,
            request,
            queryset,
            perform=lambda dispute, note: services.dispute_resolve_refund(
                staff=request.user, dispute_id=dispute.pk, note=note, ip_address=request_ip(request)
            ),
        )

    @admin.action(description=_("Settle for the seller: release the payout"))
    def resolve_release(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            title=_("Pay the seller"),
            explanation=_(
                "The sale completes and the seller's payout is sent. Both are told. "
                "This cannot be undone."
            ),
            perform=lambda dispute, note: services.dispute_resolve_release(
                staff=request.user, dispute_id=dispute.pk, note=note, ip_address=request_ip(request)
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
