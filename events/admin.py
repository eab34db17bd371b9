from django.contrib import admin
from django.db import models

from marketplace.admin import AuditedAdminMixin

from .models import Event


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
    fieldsets = (
        (None, {"fields": ("name", "description", "category", "status", "organizer")}),
        (
            "When and where",
            {
                "fields": (
                    "event_date",
                    "event_time",
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
