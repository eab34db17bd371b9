import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    class Category(models.TextChoices):
        CONCERT = "concert", "Concert"
        SPORTS = "sports", "Sports"
        THEATER = "theater", "Theater"
        FESTIVAL = "festival", "Festival"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    event_date = models.DateField()
    event_time = models.TimeField(null=True, blank=True, help_text="Doors or start time, local.")
    location = models.CharField(max_length=255, blank=True, help_text="Street address.")
    venue_name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. IE.")
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
    currency = models.CharField(max_length=3, default="EUR")
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

    @property
    def starts_at(self) -> datetime.datetime:
        """The start as an aware datetime in the site's time zone (midnight without a time)."""
        naive = datetime.datetime.combine(self.event_date, self.event_time or datetime.time.min)
        return timezone.make_aware(naive, timezone.get_default_timezone())


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
        "unavoidable fees",
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(TIER_AMOUNT_MAX)],
        help_text="Booking and service fees every buyer of the tier paid, per ticket.",
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
