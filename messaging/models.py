from django.conf import settings
from django.db import models
from django.db.models import Q


class Message(models.Model):
    """A message between the buyer and the seller of one transaction."""

    transaction = models.ForeignKey(
        "payments.Transaction", on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent"
    )
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "messages"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["transaction", "created_at"], name="messages_thread_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="messages_body_not_empty"),
        ]

    def __str__(self):
        return f"Message #{self.pk} on transaction #{self.transaction_id}"


class Notification(models.Model):
    class Type(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        PAYMENT = "payment", "Payment"
        DELIVERY = "delivery", "Ticket delivered"
        MESSAGE = "message", "New message"
        DISPUTE_OPENED = "dispute_opened", "Dispute opened"
        DISPUTE_RESOLVED = "dispute_resolved", "Dispute resolved"
        PAYOUT = "payout", "Payout"
        LISTING_EXPIRED = "listing_expired", "Listing expired"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField(max_length=24, choices=Type.choices)
    payload = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notifications_user_idx"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notifications_unread_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} for {self.user_id}"
