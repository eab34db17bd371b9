from django.conf import settings
from django.db import models
from django.db.models import Q


class Listing(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PENDING = "pending", "Pending (reserved)"
        SOLD = "sold", "Sold"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    # A ticket is on sale, or reserved, through one listing at a time.
    OPEN_STATUSES = (Status.ACTIVE, Status.PENDING)

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="listings")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings"
    )
    price = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    listed_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="By default the event's start.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "listings"
        ordering = ["price", "id"]
        indexes = [
            models.Index(fields=["status", "price"], name="listings_status_price_idx"),
            models.Index(fields=["status", "expires_at"], name="listings_status_expiry_idx"),
            models.Index(fields=["seller", "status"], name="listings_seller_status_idx"),
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
