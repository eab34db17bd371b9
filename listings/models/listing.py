from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

# The listings a search can find: on sale, for an event on sale. Every search
# index covers only these rows (a sold or withdrawn listing leaves them).
SEARCHABLE = Q(status="active", event_status="published")


class Listing(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PENDING = "pending", _("Pending (reserved)")
        SOLD = "sold", _("Sold")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    # A ticket is on sale, or reserved, through one listing at a time.
    OPEN_STATUSES = (Status.ACTIVE, Status.PENDING)

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="listings")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings"
    )
    price = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    listed_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text=_("By default the event's start."))
    # Copies of the ticket's event that the search filters and sorts on, so one
    # index of this table answers a search without reading the events (bench/
    # results/). Written with the listing and kept in step with the event by
    # listings.event_copies (called by events.services.event_update).
    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    event_status = models.CharField(max_length=16)
    event_category = models.CharField(max_length=16)
    event_country = models.CharField(max_length=2)
    event_city = models.CharField(max_length=100)
    event_date = models.DateField(help_text=_("The event's date, at the venue."))
    event_starts_at = models.DateTimeField(help_text=_("The event's start (Event.starts_at)."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "listings"
        ordering = ["price", "id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="listings_status_expiry_idx"),
            models.Index(fields=["seller", "status"], name="listings_seller_status_idx"),
            # An event's tickets on sale, cheapest first, and their count and lowest
            # price on the event lists (read from the index alone).
            models.Index(
                fields=["event", "price", "event_date", "event_starts_at", "id"],
                condition=Q(status="active"),
                name="listings_event_active_idx",
            ),
            # One index per order of listings.selectors.SEARCH_ORDERINGS, and one
            # each for the category and city filters, each in the order the search
            # reads it: a page is the first rows of the index. expires_at is
            # carried along, so counting the results reads the index alone.
            models.Index(
                fields=["price", "event_date", "event_starts_at", "id"],
                condition=SEARCHABLE,
                include=["expires_at"],
                name="listings_search_price_idx",
            ),
            models.Index(
                fields=["-price", "event_date", "event_starts_at", "id"],
                condition=SEARCHABLE,
                include=["expires_at"],
                name="listings_search_dearest_idx",
            ),
            models.Index(
                fields=["event_date", "event_starts_at", "price", "id"],
                condition=SEARCHABLE,
                include=["expires_at"],
                name="listings_search_date_idx",
            ),
            models.Index(
                fields=["-event_date", "-event_starts_at", "price", "id"],
                condition=SEARCHABLE,
                include=["expires_at"],
                name="listings_search_latest_idx",
            ),
            models.Index(
                fields=["event_category", "price", "event_date", "event_starts_at", "id"],
                condition=SEARCHABLE,
                include=["expires_at"],
                name="listings_search_category_idx",
            ),
            # The city is matched ignoring case (UPPER(event_city) = UPPER(...)).
            models.Index(
                Upper("event_city"),
                F("event_date"),
                F("event_starts_at"),
                F("price"),
                F("id"),
                condition=SEARCHABLE,
                include=["expires_at"],
                name="listings_search_city_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="listings_price_gte_0"),
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status__in=["active", "pending"]),
                name="listings_one_open_per_ticket",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gte=models.F("listed_at")),
                name="listings_expiry_after_listing",
            ),
        ]

    def __str__(self):
        return f"Listing #{self.pk} at {self.price}"


class ListingReport(models.Model):
    """A notice that a listing breaks the rules (EU Digital Services Act, Art. 16),
    staff's decision with its statement of reasons (Art. 17), and the seller's
    one appeal, decided by another staff member (Art. 20). Written only by
    listings.reports."""

    class Reason(models.TextChoices):
        FAKE_OR_DUPLICATE = "fake_or_duplicate", _("Fake or duplicate ticket")
        ABOVE_LEGAL_CAP = "above_legal_cap", _("Price above the legal cap")
        SPECULATIVE = "speculative", _("Speculative listing (the seller has no ticket yet)")
        WRONG_DETAILS = "wrong_details", _("Wrong event, seat or ticket details")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        # Translators: a report's state: waiting for staff's decision.
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld (listing removed)")
        REJECTED = "rejected", _("Rejected")

    class AppealOutcome(models.TextChoices):
        REVERSED = "reversed", _("Decision reversed")
        CONFIRMED = "confirmed", _("Decision confirmed")

    TEXT_MAX_LENGTH = 2000

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="reports")
    # A logged-in reporter, or a visitor's email address.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="listing_reports",
    )
    reporter_email = models.EmailField(max_length=254, blank=True)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    text = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    statement_of_reasons = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_text = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appeal_decided_at = models.DateTimeField(null=True, blank=True)
    appeal_outcome = models.CharField(max_length=16, choices=AppealOutcome.choices, blank=True)
    appeal_reasons = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "listing_reports"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="listing_reports_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reporter__isnull=False) | ~Q(reporter_email=""),
                name="listing_reports_has_reporter",
            ),
            # One open report per reporter and listing (a second is a duplicate).
            models.UniqueConstraint(
                fields=["listing", "reporter"],
                condition=Q(status="open", reporter__isnull=False),
                name="listing_reports_one_open_per_user",
            ),
            models.UniqueConstraint(
                fields=["listing", "reporter_email"],
                condition=Q(status="open", reporter__isnull=True),
                name="listing_reports_one_open_per_email",
            ),
            # Art. 20: the appeal is not decided by the person who decided.
            models.CheckConstraint(
                condition=Q(appeal_decided_by__isnull=True)
                | ~Q(appeal_decided_by=models.F("decided_by")),
                name="listing_reports_appeal_by_other_staff",
            ),
        ]

    def __str__(self):
        return f"Report #{self.pk} on listing #{self.listing_id}"
