from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
        PURCHASE = "purchase", _("Purchase")
        PAYMENT = "payment", _("Payment")
        DELIVERY = "delivery", _("Ticket delivered")
        MESSAGE = "message", _("New message")
        DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
        DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")
        PAYOUT = "payout", _("Payout")
        LISTING_EXPIRED = "listing_expired", _("Listing expired")
        TICKET_RECEIVED = "ticket_received", _("Ticket received by transfer")
        REFUND = "refund", _("Refund")
        LISTING_REMOVED = "listing_removed", _("Listing taken off sale by staff")
        PAYOUT_ACCOUNT_NEEDED = "payout_account_needed", _("Payout details needed")
        PAYOUT_FAILED = "payout_failed", _("Payout failed")
        CHARGEBACK_OPENED = "chargeback_opened", _("Payment disputed by the bank")
        CHARGEBACK_CLOSED = "chargeback_closed", _("Bank dispute closed")
        EVENT_CANCELLED = "event_cancelled", _("Event cancelled")
        EVENT_MOVED = "event_moved", _("Event moved")
        WAITLIST_OFFER = "waitlist_offer", _("A ticket for you from the waiting list")

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


class Email(models.Model):
    """One outbound email: the outbox row a Celery task claims and sends.

    READY -> SENDING (claimed by one task id) -> SENT, or FAILED after the last
    retry. The row, not the broker, is the truth: a lost or duplicated task
    message can neither drop nor double an email (STYLE.md, 8).
    """

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # SET_NULL: the outbox keeps what was sent even when a notification goes
    # (its user's account removed), and emails need not come from a notification.
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    # The plain-text part, and the HTML part rendered from the same template
    # (marketplace.core.emails); blank HTML: a text-only email.
    body = models.TextField()
    html = models.TextField(blank=True)
    # Files sent with it: [{"filename", "mimetype", "content_base64"}].
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(
        max_length=255, blank=True, help_text=_("The id of the Celery task sending it.")
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "emails"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="emails_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="emails_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"Email #{self.pk} to {self.to} ({self.get_status_display()})"
