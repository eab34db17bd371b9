from django.contrib import admin
from django.db import models

from marketplace.core.admin import AuditedAdminMixin

from .models import Event, PriceTier


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
    readonly_fields = ("created_at", "updated_at")
    inlines = (PriceTierInline,)
    fieldsets = (
        (None, {"fields": ("name", "description", "category", "status", "organizer")}),
        (
            "When and where",
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
        ("More", {"fields": ("currency", "image_url", "metadata")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
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
