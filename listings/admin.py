import datetime

from django.contrib import admin
from django.utils import timezone

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, confirm_then, money
from marketplace.core.client_ip import client_ip

from .models import Listing, ListingReport
from .moderation import listing_take_off_sale
from .reports import listing_report_decide, listing_report_decide_appeal


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


class ReportAgeFilter(admin.SimpleListFilter):
    """The queue's overdue reports: open for more than a day, or a week."""

    title = "open for"
    parameter_name = "open_for"
    AGES = {"24h": datetime.timedelta(hours=24), "7d": datetime.timedelta(days=7)}

    def lookups(self, request, model_admin):
        return (("24h", "more than 24 hours"), ("7d", "more than 7 days"))

    def queryset(self, request, queryset):
        age = self.AGES.get(self.value())
        if age is None:
            return queryset
        return queryset.filter(
            status=ListingReport.Status.OPEN, created_at__lte=timezone.now() - age
        )


class AppealPendingFilter(admin.SimpleListFilter):
    title = "appeal"
    parameter_name = "appeal"

    def lookups(self, request, model_admin):
        return (("pending", "waiting for a decision"), ("decided", "decided"))

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(appealed_at__isnull=False, appeal_decided_at__isnull=True)
        if self.value() == "decided":
            return queryset.filter(appeal_decided_at__isnull=False)
        return queryset


@admin.register(ListingReport)
class ListingReportAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The notice-and-action queue (EU Digital Services Act, Art. 16, 17, 20).
    Read-only: decisions go through listings.reports (the actions below), which
    email the statement of reasons to both sides and write the audit trail."""

    list_display = (
        "__str__",
        "listing",
        "reason",
        "status",
        "reporter_display",
        "created_at",
        "decided_by",
        "appeal_state",
    )
    list_filter = ("status", "reason", ReportAgeFilter, AppealPendingFilter, "created_at")
    search_fields = ("=listing__id", "listing__seller__email", "reporter__email", "reporter_email")
    list_select_related = ("listing", "reporter", "decided_by")
    # The oldest open report first: the queue is worked in order.
    ordering = ("created_at", "id")
    fields = (
        "listing",
        "reporter",
        "reporter_email",
        "reason",
        "text",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "statement_of_reasons",
        "appealed_at",
        "appeal_text",
        "appeal_outcome",
        "appeal_decided_by",
        "appeal_decided_at",
        "appeal_reasons",
    )
    actions = ("uphold", "reject", "appeal_reverse", "appeal_confirm")

    @admin.display(description="reporter")
    def reporter_display(self, obj):
        return obj.reporter.email if obj.reporter_id else f"{obj.reporter_email} (visitor)"

    @admin.display(description="appeal")
    def appeal_state(self, obj):
        if obj.appeal_decided_at:
            return obj.get_appeal_outcome_display()
        return "pending" if obj.appealed_at else "-"

    def _decide(self, request, queryset, *, outcome, title, explanation, decide=None):
        """A decision (or, with decide=listing_report_decide_appeal, an appeal's),
        with the statement of reasons typed on the confirmation page."""
        decide = decide or listing_report_decide
        return confirm_then(
            self,
            request,
            queryset.select_related("listing"),
            title=title,
            explanation=explanation,
            perform=lambda report, note: decide(
                staff=request.user,
                report=report,
                outcome=outcome,
                reasons=note,
                ip_address=client_ip(request),
            ),
        )

    @admin.action(description="Uphold: remove the listing (with reasons)")
    def uphold(self, request, queryset):
        return self._decide(
            request,
            queryset,
            outcome=ListingReport.Status.UPHELD,
            title="Uphold these reports",
            explanation=(
                "Each listing still on sale is taken off sale; the ticket goes back to the "
                "seller. The note is the statement of reasons (required): it is emailed to "
                "the seller and the reporter. A listing a buyer is paying for cannot be "
                "removed until the reservation ends."
            ),
        )

    @admin.action(description="Reject (with reasons)")
    def reject(self, request, queryset):
        return self._decide(
            request,
            queryset,
            outcome=ListingReport.Status.REJECTED,
            title="Reject these reports",
            explanation=(
                "The listings stay as they are. The note is the statement of reasons "
                "(required): it is emailed to the seller and the reporter."
            ),
        )

    @admin.action(description="Appeal: reverse the decision (another staff member)")
    def appeal_reverse(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decide=listing_report_decide_appeal,
            outcome=ListingReport.AppealOutcome.REVERSED,
            title="Reverse these decisions on appeal",
            explanation=(
                "Only a staff member who did not take the first decision may decide the "
                "appeal. The seller may list the ticket again. The note (required) is "
                "emailed to the seller and the reporter."
            ),
        )

    @admin.action(description="Appeal: confirm the decision (another staff member)")
    def appeal_confirm(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decide=listing_report_decide_appeal,
            outcome=ListingReport.AppealOutcome.CONFIRMED,
            title="Confirm these decisions on appeal",
            explanation=(
                "Only a staff member who did not take the first decision may decide the "
                "appeal. The note (required) is emailed to the seller and the reporter."
            ),
        )
