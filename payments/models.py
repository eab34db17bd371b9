from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round


class Transaction(models.Model):
    """One purchase of one listing: the money's journey from buyer to seller."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid (held in escrow)"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        DISPUTED = "disputed", "Disputed"
        REFUNDED = "refunded", "Refunded"

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, related_name="transactions"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales"
    )
    final_price = models.DecimalField(max_digits=12, decimal_places=2)
    platform_fee = models.DecimalField(max_digits=12, decimal_places=2)
    seller_payout = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT)
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payment_method = models.CharField(max_length=32, blank=True, help_text="e.g. card")
    payment_gateway = models.CharField(max_length=32, default="stripe")
    payment_id = models.CharField(
        max_length=255, blank=True, help_text="The gateway's payment id (Stripe PaymentIntent)."
    )
    reserved_until = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "transactions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "status"], name="transactions_buyer_idx"),
            models.Index(fields=["seller", "status"], name="transactions_seller_idx"),
            models.Index(fields=["status", "reserved_until"], name="transactions_reserve_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(final_price__gte=0, platform_fee__gte=0, seller_payout__gte=0),
                name="transactions_money_gte_0",
            ),
            # Rounded to the cent: exact on PostgreSQL, and on SQLite (the
            # embedded run), which adds decimals as floats (8.35 + 96.05 is
            # 104.39999... there).
            models.CheckConstraint(
                condition=Q(final_price=Round(F("platform_fee") + F("seller_payout"), 2)),
                name="transactions_fee_plus_payout_is_price",
            ),
            models.CheckConstraint(
                condition=~Q(buyer=F("seller")), name="transactions_buyer_is_not_seller"
            ),
            # One ticket, one sale: a listing has at most one transaction that is
            # not cancelled (a released reservation leaves a cancelled one behind).
            models.UniqueConstraint(
                fields=["listing"],
                condition=~Q(status="cancelled"),
                name="transactions_one_live_per_listing",
            ),
            models.UniqueConstraint(
                fields=["payment_gateway", "payment_id"],
                condition=~Q(payment_id=""),
                name="transactions_payment_id_unique",
            ),
        ]

    def __str__(self):
        return f"Transaction #{self.pk} ({self.get_status_display()})"


class Payout(models.Model):
    """The seller's money for one transaction, paid when the escrow releases."""

    class Status(models.TextChoices):
        HELD = "held", "Held in escrow"
        SCHEDULED = "scheduled", "Scheduled"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="payout")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    gateway_reference = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payouts"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="payouts_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payouts_amount_gte_0"),
        ]

    def __str__(self):
        return f"Payout #{self.pk} {self.amount} {self.currency} ({self.get_status_display()})"


class Dispute(models.Model):
    class Reason(models.TextChoices):
        NOT_RECEIVED = "not_received", "I did not receive the ticket"
        INVALID_TICKET = "invalid_ticket", "The ticket was refused at the door"
        NOT_AS_DESCRIBED = "not_as_described", "The ticket is not as described"
        EVENT_CANCELLED = "event_cancelled", "The event was cancelled"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED_REFUND = "resolved_refund", "Resolved: refunded"
        RESOLVED_RELEASE = "resolved_release", "Resolved: paid to seller"
        REJECTED = "rejected", "Rejected"

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_opened"
    )
    reason = models.CharField(max_length=24, choices=Reason.choices)
    description = models.TextField()
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes_resolved",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "disputes"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="disputes_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(status="open"),
                name="disputes_one_open_per_transaction",
            ),
        ]

    def __str__(self):
        return f"Dispute #{self.pk} on transaction #{self.transaction_id}"


class StripeEvent(models.Model):
    """Every Stripe webhook event received, once: the unique event id makes a
    replayed delivery change nothing (ARCHITECTURE.md, rule 8)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stripe_events"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["type", "received_at"], name="stripe_events_type_idx")]

    def __str__(self):
        return f"{self.type} {self.event_id}"
