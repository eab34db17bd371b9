import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from marketplace.core.countries import CountryField

from .zones import (
    country_needs_time_zone,
    event_starts_at,
    event_time_label,
    time_zone_for_backfill,
    time_zone_is_valid,
)


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    class Category(models.TextChoices):
        CONCERT = "concert", _("Concert")
        SPORTS = "sports", _("Sports")
        THEATER = "theater", _("Theater")
        FESTIVAL = "festival", _("Festival")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    event_date = models.DateField()
    event_time = models.TimeField(null=True, blank=True, help_text=_("Doors or start time, local."))
    location = models.CharField(max_length=255, blank=True, help_text=_("Street address."))
    venue_name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    # A CharField of ISO codes underneath; event.country is the code ("IE") and
    # event.country.name its name in the active language (marketplace/core/countries.py).
    country = CountryField(max_length=2, help_text=_("ISO 3166-1 alpha-2 code, e.g. IE."))
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_events"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    metadata = models.JSONField(default=dict, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    # The uploaded picture, as events/images.py stored it: its intrinsic size,
    # content hash and the files made of it at each width ({} when none).
    picture = models.JSONField(default=dict, blank=True, editable=False)
    currency = models.CharField(max_length=3, default="EUR")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "The venue's IANA time zone, e.g. Europe/Berlin. Blank: the country's "
            "(a country with several zones, such as US, AU, ES or PT, must name one)."
        ),
    )
    # The resale law (listings.pricing.resale_rule): the venue's size decides
    # whether an Irish event is designated (events.services); staff may flag any
    # event; no seller lists more of an event's tickets than one fan could buy
    # in its primary sale (listings.services.resale_limit_check).
    venue_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("How many people the venue holds, if known.")
    )
    resale_at_original_price = models.BooleanField(
        default=False,
        help_text=_(
            "Resale at most at the original price (face value plus unavoidable fees), "
            "as Ireland's Sale of Tickets Act requires for designated events and venues."
        ),
    )
    primary_purchase_limit = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "The most tickets one fan could buy in the primary sale: "
            "no seller lists more of this event's tickets."
        ),
    )
    # When the event was cancelled, and when its start last moved (a buyer in
    # escrow may then choose a refund for POSTPONEMENT_REFUND_DAYS).
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    moved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "events"
        ordering = ["event_date", "event_time", "id"]
        indexes = [
            models.Index(fields=["status", "event_date"], name="events_status_date_idx"),
            models.Index(fields=["category", "event_date"], name="events_category_date_idx"),
            # city is searched ignoring case (city__iexact compares UPPER(city)).
            models.Index(Upper("city"), name="events_city_upper_idx"),
            models.Index(fields=["country"], name="events_country_idx"),
            # Text search (`q`, icontains) uses trigram indexes on PostgreSQL,
            # made by migration 0002 (events/migrations/0002_search_indexes.py).
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="events_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="events_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(country__regex=r"^[A-Z]{2}$"), name="events_country_iso2"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="events_currency_iso3"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.event_date:%d %b %Y})"

    def save(self, *args, **kwargs):
        if not self.time_zone:
            self.time_zone = self.default_time_zone(self.country)
            if "update_fields" in kwargs and kwargs["update_fields"] is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "time_zone"}
        super().save(*args, **kwargs)

    @staticmethod
    def default_time_zone(country: str) -> str:
        """The zone an event in `country` takes when none is named: the country's,
        the mainland's for ES and PT, or the site's TIME_ZONE (several zones, unknown)."""
        return time_zone_for_backfill(country, settings.TIME_ZONE)

    def clean(self):
        super().clean()
        if self.time_zone and not time_zone_is_valid(self.time_zone):
            raise ValidationError({"time_zone": _("Unknown time zone: use an IANA name.")})
        if not self.time_zone and country_needs_time_zone(self.country):
            raise ValidationError(
                {"time_zone": _("This country has several time zones: choose the venue's.")}
            )

    @property
    def starts_at(self) -> datetime.datetime:
        """The start as an aware datetime in the venue's own time zone (midnight
        without a time). Every rule about the start reads this (events/zones.py)."""
        return event_starts_at(
            self.event_date, self.event_time, self.time_zone or self.default_time_zone(self.country)
        )

    @property
    def time_label(self) -> str:
        """The start time as the venue's clock shows it, "19:30 CET"; "" without a time."""
        return event_time_label(self.starts_at) if self.event_time else ""


# The highest face value (and fees) Encore accepts, as tickets.services.checks does.
TIER_AMOUNT_MAX = Decimal("100000.00")


class PriceTier(models.Model):
    """A price the organizer (or staff, for catalogue events) declares for the event:
    what a ticket of this tier cost at the box office. A ticket uploaded for a tier
    takes its face value and unavoidable fees from here: a verified face value
    (ARCHITECTURE.md, rule 1), not one the seller types."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="price_tiers")
    name = models.CharField(max_length=100)
    face_value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(TIER_AMOUNT_MAX)],
    )
    fees = models.DecimalField(
        _("unavoidable fees"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(TIER_AMOUNT_MAX)],
        help_text=_("Booking and service fees every buyer of the tier paid, per ticket."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "event_price_tiers"
        ordering = ["event_id", "face_value", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(face_value__gt=0), name="event_price_tiers_face_value_gt_0"
            ),
            models.CheckConstraint(condition=Q(fees__gte=0), name="event_price_tiers_fees_gte_0"),
            models.UniqueConstraint(
                "event", Upper("name"), name="event_price_tiers_event_name_unique"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.face_value})"

    @property
    def original_price(self) -> Decimal:
        """What a fan paid for it at the box office: face value and unavoidable fees."""
        return self.face_value + self.fees
