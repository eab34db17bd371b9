from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.core.admin import AuditedAdminMixin, confirm_then
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError

from .models import Event, PriceTier
from .services import event_designated_by_venue, event_update

# Changed through event_update, never saved raw: its rules hold in the admin
# too (allowed transitions, a start in the future), and cancelling or moving
# the event sets its sales in motion (ARCHITECTURE.md, rule 12).
SERVICE_FIELDS = ("status", "event_date", "event_time", "time_zone")
# The resale rule's fields too: a venue the law designates flags the event, and a
# change that open listings' prices would break is refused (events.services).
SERVICE_FIELDS += ("country", "venue_capacity", "resale_at_original_price")


class PriceTierInline(admin.TabularInline):
    """The event's declared prices (staff keep them for catalogue events). A tier
    that tickets were uploaded for cannot be deleted (PROTECT): the admin says so."""

    model = PriceTier
    extra = 0
    fields = ("name", "face_value", "fees")


@admin.register(Event)
class EventAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "event_date",
        "event_time",
        "venue_name",
        "city",
        "country",
        "category",
        "status",
        "organizer",
    )
    list_filter = ("status", "category", "country", "event_date")
    search_fields = ("name", "venue_name", "city", "organizer__email")
    date_hierarchy = "event_date"
    ordering = ("-event_date", "-id")
    list_select_related = ("organizer",)
    list_per_page = 50
    autocomplete_fields = ("organizer",)
    # Links typed without a scheme are https (the Django 6.0 default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = (
        "created_at",
        "updated_at",
        "cancelled_at",
        "moved_at",
        "cancellation_progress",
    )
    inlines = (PriceTierInline,)
    actions = ("cancel_events",)
    fieldsets = (
        (None, {"fields": ("name", "description", "category", "status", "organizer")}),
        (
            gettext_lazy("When and where"),
            {
                "fields": (
                    "event_date",
                    "event_time",
                    "time_zone",
                    "venue_name",
                    "location",
                    "city",
                    "postal_code",
                    "country",
                    "latitude",
                    "longitude",
                )
            },
        ),
        (
            gettext_lazy("Resale rules"),
            {
                "fields": ("venue_capacity", "resale_at_original_price", "primary_purchase_limit"),
                "description": gettext_lazy(
                    "Designated (resale at most at the original price): on by "
                    "itself for Irish venues of 1,000 people or more; staff set or lift it "
                    "(e.g. a venue or event the Minister designated)."
                ),
            },
        ),
        (gettext_lazy("More"), {"fields": ("currency", "image_url", "metadata")}),
        (
            gettext_lazy("Cancelled or moved"),
            {"fields": ("cancelled_at", "moved_at", "cancellation_progress")},
        ),
        (gettext_lazy("Dates"), {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change):
        if not change:
            # A venue the law designates flags the event, as event_create does.
            obj.resale_at_original_price = obj.resale_at_original_price or (
                event_designated_by_venue(country=obj.country, venue_capacity=obj.venue_capacity)
            )
            return super().save_model(request, obj, form, change)
        ruled = {
            name: form.cleaned_data[name] for name in SERVICE_FIELDS if name in form.changed_data
        }
        if ruled:
            # Saved as stored first (the audit of the other fields leaves these
            # out); event_update then changes and audits them.
            stored = Event.objects.filter(pk=obj.pk).values(*ruled).get()
            for name, value in stored.items():
                setattr(obj, name, value)
            form.changed_data[:] = [name for name in form.changed_data if name not in ruled]
        super().save_model(request, obj, form, change)
        if ruled:
            try:
                event_update(actor=request.user, event=obj, ip_address=client_ip(request), **ruled)
            except DomainError as exc:
                self.message_user(
                    request, _("Not changed: %(reason)s") % {"reason": exc.message}, messages.ERROR
                )
        return None

    @admin.action(
        description=gettext_lazy("Cancel the event: withdraw its listings and refund its buyers")
    )
    def cancel_events(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            title=_("Cancel events"),
            explanation=_(
                "Each event is cancelled: its open listings are withdrawn, reservations "
                "released, and every purchase whose money Encore still holds is refunded in "
                "full; purchases already paid out to the seller are listed for staff. A job "
                "does it in batches; its progress shows on the event's page."
            ),
            perform=lambda event, note: event_update(
                actor=request.user,
                event=event,
                status=Event.Status.CANCELLED,
                ip_address=client_ip(request),
            ),
        )

    @admin.display(description=gettext_lazy("cancellation progress"))
    def cancellation_progress(self, obj):
        # The run belongs to payments (events must not import it): read through
        # the reverse one-to-one relation.
        run = getattr(obj, "cancellation_run", None)
        if run is None:
            if obj.status == Event.Status.CANCELLED:
                return _("Waiting to start: the job settles the sales within minutes.")
            return "-"
        return format_html(
            _(
                "<strong>{}</strong>: {} reservations released, {} listings withdrawn, "
                "{} purchases refunded, {} handed to staff, {} refunds failed "
                "({} batches; started {}, finished {}).{}"
            ),
            run.get_state_display(),
            run.reservations_released,
            run.listings_withdrawn,
            run.refunded,
            run.handed_to_staff,
            run.failed,
            run.batches,
            run.started_at,
            run.finished_at or "-",
            format_html(" {}", _("Last error: %(error)s") % {"error": run.last_error})
            if run.last_error
            else "",
        )

    def save_formset(self, request, form, formset, change):
        """Tier edits go to the audit trail with the event's, in the admin's transaction."""
        before = self._tiers(form.instance)
        super().save_formset(request, form, formset, change)
        after = self._tiers(form.instance)
        if before != after:
            self._audit(
                request,
                form.instance,
                "tiers_changed",
                {"tiers": {"from": before, "to": after}},
            )

    @staticmethod
    def _tiers(event) -> list[list[str]]:
        # Read from the database: the formset's own objects already hold the new values.
        return sorted(
            [t.name, str(t.face_value), str(t.fees)] for t in PriceTier.objects.filter(event=event)
        )
