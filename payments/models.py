from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _


class EventCancellationOutcome(models.TextChoices):
    """What an event's cancellation did to one of its purchases."""

    REFUNDED = "refunded", _("Refunded in full: the event was cancelled")
    FOR_STAFF = "for_staff", _("For staff: the seller was already paid")
    REFUND_FAILED = "refund_failed", _("For staff: the automatic refund failed")


class Transaction(models.Model):
    """One purchase of one listing: the money's journey from buyer to seller."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        PAID = "paid", _("Paid (held in escrow)")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        DISPUTED = "disputed", _("Disputed")
        REFUNDED = "refunded", _("Refunded")

    # The purchases that count towards a buyer's tickets for one event (the
    # purchase limit, a waiting list entry's quantity).
    HOLDING_STATUSES = (
        Status.PENDING_PAYMENT,
        Status.PAID,
        Status.COMPLETED,
        Status.DISPUTED,
    )

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        # The card holder's bank asks them to authenticate (3-D Secure).
        REQUIRES_ACTION = "requires_action", _("Waiting for the card holder's authentication")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

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
    payment_method = models.CharField(max_length=32, blank=True, help_text=_("e.g. card"))
    payment_gateway = models.CharField(max_length=32, default="stripe")
    payment_id = models.CharField(
        max_length=255, blank=True, help_text=_("The gateway's payment id (Stripe PaymentIntent).")
    )
    charge_id = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("Stripe's charge of the payment: the source of the seller's transfer."),
    )
    # The buyer's tries to pay this reservation (each card, or the same card
    # again after a failed authentication): numbers each try's idempotency
    # keys at Stripe, and caps card testing on one reservation.
    payment_attempts = models.PositiveSmallIntegerField(default=0)
    reserved_until = models.DateTimeField(null=True, blank=True)
    # When the buyer asked for more time to pay ("I need more time", WCAG 2.2
    # SC 2.2.1): reserved_until moves once, so null means not extended yet.
    reservation_extended_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # What the cancellation of the event did to this purchase (set once, by
    # payments.services.event_changes): the job skips a purchase it settled.
    event_cancellation = models.CharField(
        max_length=16, choices=EventCancellationOutcome.choices, blank=True, default=""
    )
    # When the buyer was last told that the event moved (once per move).
    event_move_notified_at = models.DateTimeField(null=True, blank=True)
    # The waiting list offer this purchase accepted (listings.waitlist), if any.
    waitlist_offer = models.OneToOneField(
        "listings.WaitlistOffer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transaction",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "transactions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "status"], name="transactions_buyer_idx"),
            models.Index(fields=["seller", "status"], name="transactions_seller_idx"),
            models.Index(fields=["status", "reserved_until"], name="transactions_reserve_idx"),
            models.Index(
                fields=["charge_id"], condition=~Q(charge_id=""), name="transactions_charge_idx"
            ),
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
    """The seller's money for one transaction: held in escrow, then transferred
    to the seller's own Stripe account (a Connect transfer) when it releases.

    held -> scheduled -> paid; held stays held after the release while the
    seller has no account able to receive, and scheduled goes back to held
    if the account stops being able to; scheduled -> failed -> scheduled
    (retried with backoff); held | scheduled | failed -> frozen (a
    chargeback) -> held -> scheduled (won) | cancelled (lost); paid ->
    reversed (a refund or a chargeback after the transfer) -> held ->
    scheduled (a chargeback won: a new transfer); held | scheduled | failed
    -> cancelled (refunded).
    """

    class Status(models.TextChoices):
        HELD = "held", _("Held in escrow")
        SCHEDULED = "scheduled", _("Scheduled")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        FROZEN = "frozen", _("Frozen: the buyer's bank disputes the payment")
        REVERSED = "reversed", _("Taken back")
        CANCELLED = "cancelled", _("Cancelled")

    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="payout")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    transfer_id = models.CharField(
        max_length=255, blank=True, help_text=_("The Stripe transfer to the seller's account.")
    )
    reversal_id = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("The Stripe transfer reversal, if it was taken back."),
    )
    # Each new transfer (a first one, or one after a chargeback was won) gets
    # its own idempotency key: encore-payout-<id>-transfer-<round>.
    transfer_round = models.PositiveSmallIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Failed transfer attempts in this round.")
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the seller was last asked for payout details.")
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payouts"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="payouts_status_idx"),
            models.Index(fields=["seller", "status"], name="payouts_seller_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payouts_amount_gte_0"),
        ]

    def __str__(self):
        return f"Payout #{self.pk} {self.amount} {self.currency} ({self.get_status_display()})"


class PayoutAccount(models.Model):
    """The seller's Stripe connected account (Express), where payouts go.

    Stripe collects the seller's identity and bank details on its own hosted
    pages; Encore keeps only the account's id and what Stripe says of it
    (ARCHITECTURE.md, "payout accounts"), refreshed from the onboarding's
    return and from the `account.updated` webhook.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Details needed")
        RESTRICTED = "restricted", _("More information needed")
        ENABLED = "enabled", _("Ready to receive payouts")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=255, unique=True)
    country = models.CharField(max_length=2)
    default_currency = models.CharField(max_length=3, blank=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(
        default=False, help_text=_("Stripe's transfers capability: the account can receive money.")
    )
    requirements_due = models.JSONField(
        default=list,
        blank=True,
        help_text=_("What Stripe still needs (requirements.currently_due)."),
    )
    disabled_reason = models.CharField(max_length=100, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payout_accounts"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.stripe_account_id} ({self.get_state_display()})"

    @property
    def can_receive(self) -> bool:
        return self.transfers_active and self.payouts_enabled

    @property
    def state(self) -> str:
        if self.can_receive:
            return self.State.ENABLED
        if self.details_submitted:
            return self.State.RESTRICTED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state).label


class Dispute(models.Model):
    """A problem with a sale: reported by the buyer (settled by staff), or a
    chargeback by the buyer's bank (settled by the bank, through Stripe)."""

    class Kind(models.TextChoices):
        BUYER = "buyer", _("Reported by the buyer")
        CHARGEBACK = "chargeback", _("Chargeback by the buyer's bank")

    class Reason(models.TextChoices):
        NOT_RECEIVED = "not_received", _("I did not receive the ticket")
        INVALID_TICKET = "invalid_ticket", _("The ticket was refused at the door")
        NOT_AS_DESCRIBED = "not_as_described", _("The ticket is not as described")
        EVENT_CANCELLED = "event_cancelled", _("The event was cancelled")
        OTHER = "other", _("Something else")
        BANK_REVERSAL = "bank_reversal", _("The buyer's bank reversed the payment")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED_REFUND = "resolved_refund", _("Resolved: refunded")
        RESOLVED_RELEASE = "resolved_release", _("Resolved: paid to seller")
        REJECTED = "rejected", _("Rejected")

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="disputes")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BUYER)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes_opened",
        help_text=_("The buyer; empty for a chargeback (the bank opened it)."),
    )
    reason = models.CharField(max_length=24, choices=Reason.choices)
    stripe_dispute_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_reason = models.CharField(max_length=64, blank=True)
    # Where the sale stood when a chargeback froze it: a chargeback won by
    # Encore puts it back there (the escrow resumes).
    status_before = models.CharField(max_length=16, blank=True)
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
                fields=["transaction", "kind"],
                condition=Q(status="open"),
                name="disputes_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="chargeback", stripe_dispute_id__isnull=False)
                | Q(kind="buyer", opened_by__isnull=False),
                name="disputes_opened_by_someone",
            ),
        ]

    def __str__(self):
        return f"Dispute #{self.pk} on transaction #{self.transaction_id}"


# The reasons a buyer may give; a bank's reversal comes from Stripe only.
BUYER_DISPUTE_REASONS = [
    choice for choice in Dispute.Reason.choices if choice[0] != Dispute.Reason.BANK_REVERSAL
]


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


class EventCancellation(models.Model):
    """The job settling a cancelled event's sales (ARCHITECTURE.md, rule 12):
    open listings withdrawn, reservations released, purchases in escrow
    refunded, purchases already paid out handed to staff. It runs in batches
    and resumes where it stopped; each counter moves in the same database
    transaction as the item it counts, so it is exact after a crash too."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    event = models.OneToOneField(
        "events.Event", on_delete=models.PROTECT, related_name="cancellation_run"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    listings_withdrawn = models.PositiveIntegerField(default=0)
    reservations_released = models.PositiveIntegerField(default=0)
    refunded = models.PositiveIntegerField(default=0)
    handed_to_staff = models.PositiveIntegerField(
        default=0, help_text=_("Purchases whose money had already reached the seller.")
    )
    failed = models.PositiveIntegerField(
        default=0, help_text=_("Refunds Stripe refused: listed for staff.")
    )
    batches = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moves with every batch: a run not seen for a while is resumed by beat.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "event_cancellations"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["state", "updated_at"], name="event_cancellations_idx")]

    def __str__(self):
        return f"Cancellation of event #{self.event_id} ({self.get_state_display()})"
