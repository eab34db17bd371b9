from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditAction(models.TextChoices):
    """Every action the audit trail records, by the services that record it;
    the transaction timeline and the admin read them back by these names.
    Edits made in the admin add "<model>.admin_added|changed|deleted"
    (AuditedAdminMixin), which are not listed here."""

    DISPUTE_CHARGEBACK_OPENED = "dispute.chargeback_opened", "Dispute: chargeback opened"
    DISPUTE_OPENED = "dispute.opened", "Dispute: opened"
    DISPUTE_REJECTED = "dispute.rejected", "Dispute: rejected"
    DISPUTE_RESOLVED_REFUND = "dispute.resolved_refund", "Dispute: resolved refund"
    DISPUTE_RESOLVED_RELEASE = "dispute.resolved_release", "Dispute: resolved release"
    EVENT_CANCELLED = "event.cancelled", "Event: cancelled"
    EVENT_CANCELLATION_FINISHED = (
        "event.cancellation_finished",
        "Event: cancellation finished",
    )
    EVENT_CREATED = "event.created", "Event: created"
    EVENT_MOVED = "event.moved", "Event: moved"
    EVENT_TIERS_CHANGED = "event.tiers_changed", "Event: tiers changed"
    EVENT_UPDATED = "event.updated", "Event: updated"
    LISTING_CANCELLED = "listing.cancelled", "Listing: cancelled"
    LISTING_CREATED = "listing.created", "Listing: created"
    LISTING_EXPIRED = "listing.expired", "Listing: expired"
    LISTING_MODERATED = "listing.moderated", "Listing: moderated"
    LISTING_PRICE_CHANGED = "listing.price_changed", "Listing: price changed"
    LISTING_RELEASED = "listing.released", "Listing: released"
    LISTING_REPORT_APPEAL_DECIDED = (
        "listing_report.appeal_decided",
        "Listing report: appeal decided",
    )
    LISTING_REPORT_APPEALED = "listing_report.appealed", "Listing report: appealed"
    LISTING_REPORT_REJECTED = "listing_report.rejected", "Listing report: rejected"
    LISTING_REPORT_UPHELD = "listing_report.upheld", "Listing report: upheld"
    LISTING_REPORTED = "listing_report.created", "Listing report: created"
    LISTING_RESERVED = "listing.reserved", "Listing: reserved"
    LISTING_SOLD = "listing.sold", "Listing: sold"
    LISTING_WITHDRAWN = "listing.withdrawn", "Listing: withdrawn"
    MESSAGE_CONTACT_MASKED = "message.contact_masked", "Message: contact masked"
    PAYOUT_AWAITING_ACCOUNT = "payout.awaiting_account", "Payout: awaiting account"
    PAYOUT_CANCELLED = "payout.cancelled", "Payout: cancelled"
    PAYOUT_FAILED = "payout.failed", "Payout: failed"
    PAYOUT_FROZEN = "payout.frozen", "Payout: frozen"
    PAYOUT_HELD = "payout.held", "Payout: held"
    PAYOUT_PAID = "payout.paid", "Payout: paid"
    PAYOUT_REVERSED = "payout.reversed", "Payout: reversed"
    PAYOUT_SCHEDULED = "payout.scheduled", "Payout: scheduled"
    PAYOUT_UNFROZEN = "payout.unfrozen", "Payout: unfrozen"
    PAYOUT_ACCOUNT_CREATED = "payout_account.created", "Payout account: created"
    PAYOUT_ACCOUNT_UPDATED = "payout_account.updated", "Payout account: updated"
    TICKET_DELIVERED = "ticket.delivered", "Ticket: delivered"
    TICKET_DUPLICATE_BARCODE_REFUSED = (
        "ticket.duplicate_barcode_refused",
        "Ticket: duplicate barcode refused",
    )
    TICKET_DUPLICATE_FILE_REFUSED = (
        "ticket.duplicate_file_refused",
        "Ticket: duplicate file refused",
    )
    TICKET_FILE_OPENED_BY_STAFF = "ticket.file_opened_by_staff", "Ticket: file opened by staff"
    TICKET_LISTED = "ticket.listed", "Ticket: listed"
    TICKET_RELEASED = "ticket.released", "Ticket: released"
    TICKET_RESERVED = "ticket.reserved", "Ticket: reserved"
    TICKET_REVIEW_APPROVED = "ticket.review_approved", "Ticket: review approved"
    TICKET_REVIEW_REJECTED = "ticket.review_rejected", "Ticket: review rejected"
    TICKET_SOLD = "ticket.sold", "Ticket: sold"
    TICKET_TRANSFER_CANCELLED = "ticket.transfer_cancelled", "Ticket: transfer cancelled"
    TICKET_TRANSFER_EXPIRED = "ticket.transfer_expired", "Ticket: transfer expired"
    TICKET_TRANSFER_OFFERED = "ticket.transfer_offered", "Ticket: transfer offered"
    TICKET_TRANSFERRED = "ticket.transferred", "Ticket: transferred"
    TICKET_UNLISTED = "ticket.unlisted", "Ticket: unlisted"
    TICKET_UPLOADED = "ticket.uploaded", "Ticket: uploaded"
    TICKET_VOIDED = "ticket.voided", "Ticket: voided"
    TRANSACTION_AUTHENTICATION_FAILED = (
        "transaction.authentication_failed",
        "Transaction: authentication failed",
    )
    TRANSACTION_AUTHENTICATION_REQUIRED = (
        "transaction.authentication_required",
        "Transaction: authentication required",
    )
    TRANSACTION_AUTO_CONFIRMED = "transaction.auto_confirmed", "Transaction: auto confirmed"
    TRANSACTION_CANCELLED = "transaction.cancelled", "Transaction: cancelled"
    TRANSACTION_CHARGEBACK_WON = "transaction.chargeback_won", "Transaction: chargeback won"
    TRANSACTION_CHARGED_BACK = "transaction.charged_back", "Transaction: charged back"
    TRANSACTION_CONFIRMED = "transaction.confirmed", "Transaction: confirmed"
    TRANSACTION_CREATED = "transaction.created", "Transaction: created"
    TRANSACTION_DISPUTED = "transaction.disputed", "Transaction: disputed"
    TRANSACTION_EVENT_CANCELLED_PAID_OUT = (
        "transaction.event_cancelled_paid_out",
        "Transaction: event cancelled, seller already paid",
    )
    TRANSACTION_EVENT_MOVED_NOTIFIED = (
        "transaction.event_moved_notified",
        "Transaction: buyer told the event moved",
    )
    TRANSACTION_LATE_PAYMENT_RECEIVED = (
        "transaction.late_payment_received",
        "Transaction: late payment received",
    )
    TRANSACTION_LATE_PAYMENT_REFUNDED = (
        "transaction.late_payment_refunded",
        "Transaction: late payment refunded",
    )
    TRANSACTION_PAID = "transaction.paid", "Transaction: paid"
    TRANSACTION_PAYMENT_MISMATCH = "transaction.payment_mismatch", "Transaction: payment mismatch"
    TRANSACTION_REFUNDED = "transaction.refunded", "Transaction: refunded"
    TRANSACTION_REFUNDED_BY_BANK = "transaction.refunded_by_bank", "Transaction: refunded by bank"
    TRANSACTION_RELEASED_BY_STAFF = (
        "transaction.released_by_staff",
        "Transaction: released by staff",
    )
    TRANSACTION_RESERVATION_EXTENDED = (
        "transaction.reservation_extended",
        "Transaction: reservation extended",
    )
    TRADER_DECLARATION_APPROVED = (
        "trader_declaration.approved",
        "Trader declaration: approved",
    )
    TRADER_DECLARATION_REJECTED = (
        "trader_declaration.rejected",
        "Trader declaration: rejected",
    )
    TRADER_DECLARATION_SAVED = "trader_declaration.saved", "Trader declaration: saved"
    USER_EMAIL_CHANGED = "user.email_changed", "User: email changed"
    USER_DELETED = "user.deleted", "User: account deleted"
    USER_EMAIL_VERIFIED = "user.email_verified", "User: email verified"
    USER_REGISTERED = "user.registered", "User: registered"
    USER_SESSIONS_REVOKED = "user.sessions_revoked", "User: sessions revoked"
    USER_STATUS_CHANGED = "user.status_changed", "User: status changed"
    WAITLIST_HELD = "waitlist.held", "Waiting list: ticket held"
    WAITLIST_JOINED = "waitlist.joined", "Waiting list: joined"
    WAITLIST_CHANGED = "waitlist.changed", "Waiting list: entry changed"
    WAITLIST_LEFT = "waitlist.left", "Waiting list: left"
    WAITLIST_MOVED_BACK = "waitlist.moved_back", "Waiting list: moved to the back"
    WAITLIST_OFFER_ACCEPTED = "waitlist.offer_accepted", "Waiting list: offer accepted"
    WAITLIST_OFFER_DECLINED = "waitlist.offer_declined", "Waiting list: offer declined"
    WAITLIST_OFFER_EXPIRED = "waitlist.offer_expired", "Waiting list: offer expired"
    WAITLIST_OFFER_WITHDRAWN = "waitlist.offer_withdrawn", "Waiting list: offer withdrawn"
    WAITLIST_OFFERED = "waitlist.offered", "Waiting list: offered"
    WAITLIST_PASSED_ON = "waitlist.passed_on", "Waiting list: passed on"
    WAITLIST_RAFFLE_DRAWN = "waitlist.raffle_drawn", "Waiting list: raffle drawn"
    WAITLIST_RAFFLE_OPENED = "waitlist.raffle_opened", "Waiting list: raffle opened"
    WAITLIST_RELEASED = "waitlist.released", "Waiting list: released to everyone"


class AuditLog(models.Model):
    """One state change of a ticket, listing, transaction, dispute, payout or user.

    Append-only: rows are written by `marketplace.core.audit.audit_log_record` inside
    the transaction of the change they describe; on PostgreSQL a trigger refuses
    UPDATE and DELETE (migration 0002), and the admin shows them read-only.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made the change; empty for the system (periodic jobs, webhooks).",
    )
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    entity_type = models.CharField(max_length=32)
    entity_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text=(
            "The request (or the task it enqueued) that made the change, as in the logs "
            "and the X-Request-ID header; empty for commands run by hand."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "audit_logs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id"], name="audit_entity_idx"),
            models.Index(fields=["action", "created_at"], name="audit_action_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.entity_type}#{self.entity_id}"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` an API client sent with a request that spends
    money (purchase, pay): the first request's answer, replayed to every
    retry with the same key (STYLE.md, 7). Kept IDEMPOTENCY_KEY_HOURS.

    The unique (user, key) pair is the guard: of several requests racing with
    one key, one inserts the row and does the work; the others find it.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body: the same key with another
    # request is refused rather than answered with someone else's result.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "idempotency_keys"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_keys_user_key"),
        ]

    def __str__(self):
        return f"{self.key} ({self.state})"
