import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, confirm_then, money
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError
from marketplace.core.forms import form_error_from
from marketplace.core.models import AuditAction, AuditLog

from .models import Listing, ListingReport, WaitlistEntry, WaitlistOffer, WaitlistRaffle
from .moderation import listing_take_off_sale
from .reports import listing_report_decide, listing_report_decide_appeal
from .waitlist.raffles import raffle_verify, waitlist_raffle_open


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
    # "event" is the listing's copy of its ticket's event (listings/event_copies.py).
    list_select_related = ("ticket__event", "event", "seller")
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

    @admin.action(description=_("Take off sale (active listings)"))
    def take_off_sale(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset.select_related("ticket__event", "seller"),
            title=_("Take these listings off sale"),
            explanation=(
                _(
                    "Each listing is cancelled and its ticket goes back to the seller, who may "
                    "list it again. A listing reserved by a buyer or already sold cannot be "
                    "taken off sale (settle the sale instead). The note is kept in the audit trail."
                )
            ),
            perform=lambda listing, note: listing_take_off_sale(
                staff=request.user,
                listing=listing,
                note=note.strip(),
                ip_address=client_ip(request),
            ),
        )

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, obj):
        return money(obj.price, obj.ticket.event.currency)


class ReportAgeFilter(admin.SimpleListFilter):
    """The queue's overdue reports: open for more than a day, or a week."""

    title = _("open for")
    parameter_name = "open_for"
    AGES = {"24h": datetime.timedelta(hours=24), "7d": datetime.timedelta(days=7)}

    def lookups(self, request, model_admin):
        return (("24h", _("more than 24 hours")), ("7d", _("more than 7 days")))

    def queryset(self, request, queryset):
        age = self.AGES.get(self.value())
        if age is None:
            return queryset
        return queryset.filter(
            status=ListingReport.Status.OPEN, created_at__lte=timezone.now() - age
        )


class AppealPendingFilter(admin.SimpleListFilter):
    title = _("appeal")
    parameter_name = "appeal"

    def lookups(self, request, model_admin):
        return (("pending", _("waiting for a decision")), ("decided", _("decided")))

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

    @admin.display(description=_("reporter"))
    def reporter_display(self, obj):
        if obj.reporter_id:
            return obj.reporter.email
        return gettext("%(email)s (visitor)") % {"email": obj.reporter_email}

    @admin.display(description=_("appeal"))
    def appeal_state(self, obj):
        if obj.appeal_decided_at:
            return obj.get_appeal_outcome_display()
        return gettext("pending") if obj.appealed_at else "-"

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

    @admin.action(description=_("Uphold: remove the listing (with reasons)"))
    def uphold(self, request, queryset):
        return self._decide(
            request,
            queryset,
            outcome=ListingReport.Status.UPHELD,
            title=_("Uphold these reports"),
            explanation=(
                _(
                    "Each listing still on sale is taken off sale; the ticket goes back to the "
                    "seller. The note is the statement of reasons (required): it is emailed to "
                    "the seller and the reporter. A listing a buyer is paying for cannot be "
                    "removed until the reservation ends."
                )
            ),
        )

    @admin.action(description=_("Reject (with reasons)"))
    def reject(self, request, queryset):
        return self._decide(
            request,
            queryset,
            outcome=ListingReport.Status.REJECTED,
            title=_("Reject these reports"),
            explanation=(
                _(
                    "The listings stay as they are. The note is the statement of reasons "
                    "(required): it is emailed to the seller and the reporter."
                )
            ),
        )

    @admin.action(description=_("Appeal: reverse the decision (another staff member)"))
    def appeal_reverse(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decide=listing_report_decide_appeal,
            outcome=ListingReport.AppealOutcome.REVERSED,
            title=_("Reverse these decisions on appeal"),
            explanation=(
                _(
                    "Only a staff member who did not take the first decision may decide the "
                    "appeal. The seller may list the ticket again. The note (required) is "
                    "emailed to the seller and the reporter."
                )
            ),
        )

    @admin.action(description=_("Appeal: confirm the decision (another staff member)"))
    def appeal_confirm(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decide=listing_report_decide_appeal,
            outcome=ListingReport.AppealOutcome.CONFIRMED,
            title=_("Confirm these decisions on appeal"),
            explanation=(
                _(
                    "Only a staff member who did not take the first decision may decide the "
                    "appeal. The note (required) is emailed to the seller and the reporter."
                )
            ),
        )


# --- the waiting list (listings.waitlist) -----------------------------------------------


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a fan's place in line changes only through the waiting list's
    services (joining, leaving, lapses, a raffle's draw), never by staff."""

    list_display = (
        "__str__",
        "event",
        "fan",
        "quantity",
        "max_price",
        "state",
        "position",
        "joined_at",
    )
    list_filter = ("state", ("event", admin.RelatedOnlyFieldListFilter))
    search_fields = ("fan__email", "event__name")
    list_select_related = ("event", "fan")
    fields = (
        "event",
        "fan",
        "quantity",
        "max_price",
        "section",
        "ticket_type",
        "state",
        "joined_at",
        "position",
        "raffle",
        "lapses",
        "raffles_lost",
        "created_at",
        "updated_at",
    )


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: offers are made, accepted, declined and ended by the services."""

    list_display = ("__str__", "listing", "fan", "state", "expires_at", "offered_at")
    list_filter = ("state",)
    search_fields = ("=listing__id", "entry__fan__email")
    list_select_related = ("listing", "entry__fan")
    fields = (
        "listing",
        "entry",
        "fan",
        "state",
        "offered_at",
        "expires_at",
        "decided_at",
        "created_at",
    )

    @admin.display(description=_("fan"))
    def fan(self, obj):
        return obj.entry.fan if obj.entry_id else "-"


class RaffleOpenForm(forms.ModelForm):
    """Open a raffle window on an event's waiting list. The service is the
    validation: it opens the raffle or refuses (nothing written), and its
    refusal shows on the field it names."""

    minutes = forms.IntegerField(
        initial=10,
        help_text=_(
            "Fans who join the waiting list in the next this many minutes are drawn "
            "in a random order when the window closes, ahead of those who join later."
        ),
    )

    # Set by WaitlistRaffleAdmin.get_form: who opens it, from where.
    actor = None
    ip_address = None

    class Meta:
        model = WaitlistRaffle
        fields = ("event",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.WAITLIST_RAFFLE_MAX_MINUTES
        self.fields["minutes"].help_text = gettext("1 to %(max)d. %(help)s") % {
            "max": limit,
            "help": self.fields["minutes"].help_text,
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance = waitlist_raffle_open(
                actor=self.actor,
                event=cleaned["event"],
                minutes=cleaned["minutes"],
                ip_address=self.ip_address,
            )
        except DomainError as exc:
            form_error_from(self, exc)
        return cleaned

    def _post_clean(self):
        # The raffle is the service's, opened and validated in clean().
        pass

    def save(self, commit=True):
        return self.instance

    def save_m2m(self):
        # Nothing more to save: the admin calls it after save(commit=False).
        pass


@admin.register(WaitlistRaffle)
class WaitlistRaffleAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    """Raffles are read-only; "Add" opens one for an event through the
    waiting list's service (which checks the minutes, that the event is on
    sale and that no raffle of it is open, and writes the audit row). A drawn
    raffle's page re-checks its draw from the audit trail."""

    add_form = RaffleOpenForm
    list_display = ("__str__", "event", "opens_at", "closes_at", "drawn_at", "entrants")
    list_filter = ("drawn_at",)
    search_fields = ("event__name",)
    list_select_related = ("event",)
    autocomplete_fields = ("event",)
    fields = (
        "event",
        "opened_by",
        "opens_at",
        "closes_at",
        "drawn_at",
        "entrants",
        "seed",
        "draw_rechecked",
        "created_at",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ("event", "minutes") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        form = super().get_form(request, obj, form=self.add_form, **kwargs)
        return type(
            "RaffleOpenFormFor", (form,), {"actor": request.user, "ip_address": client_ip(request)}
        )

    def save_model(self, request, obj, form, change):
        # Saved (and audited) by waitlist_raffle_open in the form's clean().
        pass

    @admin.display(description=_("Draw re-checked"))
    def draw_rechecked(self, obj):
        """Whether the order recorded in the draw's audit row follows from its
        seed and entrants (raffle_verify), for the seed this raffle holds."""
        if obj.drawn_at is None:
            return gettext("not drawn yet")
        records = list(
            AuditLog.objects.filter(
                action=AuditAction.WAITLIST_RAFFLE_DRAWN,
                entity_type="waitlistraffle",
                entity_id=str(obj.pk),
            ).values_list("changes", flat=True)[:2]
        )
        if len(records) != 1:
            return gettext("no: the audit trail has no single record of the draw")
        audited = records[0]
        if audited.get("seed") != obj.seed or not raffle_verify(raffle=obj, audited=audited):
            return gettext("no")
        return gettext("yes")
