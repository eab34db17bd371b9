from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from marketplace.core.storage import private_storage


def ticket_file_path(ticket, filename):
    # The owner's name never appears in the path; the event groups the files.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tickets/{ticket.event_id}/{ticket.barcode_hash[:32]}.{extension}"


class Ticket(models.Model):
    class Type(models.TextChoices):
        GENERAL_ADMISSION = "general_admission", _("General admission")
        SEATED = "seated", _("Seated")
        STANDING = "standing", _("Standing")
        VIP = "vip", _("VIP")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        LISTED = "listed", _("Listed")
        RESERVED = "reserved", _("Reserved")
        SOLD = "sold", _("Sold")
        TRANSFERRED = "transferred", _("Transferred")
        # Offered to someone by email, held until they claim it (TicketTransfer).
        TRANSFER_PENDING = "transfer_pending", _("Transfer pending")
        VOID = "void", _("Void")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        PENDING_REVIEW = "pending_review", _("Waiting for Encore's check")
        REJECTED = "rejected", _("Not accepted")

    class BarcodeSource(models.TextChoices):
        FILE = "file", _("Read from the file")
        TYPED = "typed", _("Typed by the seller")

    # Why an upload waits for staff (Ticket.review_reasons).
    REVIEW_NO_BARCODE_IN_FILE = "NO_BARCODE_IN_FILE"
    REVIEW_FACE_VALUE_HIGH = "FACE_VALUE_HIGH"

    # The restrictions on use the sell form offers (a seller may write others).
    # Stored as written here, in English; marked so that pages can show them
    # translated (gettext of the stored text).
    COMMON_RESTRICTIONS = (
        gettext_noop("Under 18s must be accompanied by an adult"),
        gettext_noop("ID must match the name on the ticket"),
        gettext_noop("Restricted view"),
        gettext_noop("Standing only"),
        gettext_noop("Accessible seating"),
        gettext_noop("Age 18+ only"),
    )

    # A void ticket no longer admits anyone, so its barcode may be uploaded again.
    INACTIVE_STATUSES = (Status.VOID,)
    # In its owner's hands, free to be listed or given away.
    IN_HAND_STATUSES = (Status.AVAILABLE, Status.TRANSFERRED)

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="tickets")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    ticket_type = models.CharField(
        max_length=24, choices=Type.choices, default=Type.GENERAL_ADMISSION
    )
    section = models.CharField(max_length=50, blank=True)
    row = models.CharField(max_length=20, blank=True)
    seat = models.CharField(max_length=20, blank=True)
    face_value = models.DecimalField(max_digits=12, decimal_places=2)
    # The organizer's price tier the ticket was uploaded for: its face value and
    # fees were copied from it (so verified), and stay if the tier changes later.
    tier = models.ForeignKey(
        "events.PriceTier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    original_fees = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text=_("Unavoidable fees paid with it.")
    )
    # What a resale listing must say (UK Consumer Rights Act 2015, s.90): any
    # restriction on use, and the organizer's own number for the ticket (never
    # the barcode).
    restrictions = models.TextField(max_length=500, blank=True)
    organizer_ticket_number = models.CharField(max_length=64, blank=True)
    barcode_hash = models.CharField(max_length=64, editable=False)
    barcode_last4 = models.CharField(max_length=4, editable=False)
    barcode_source = models.CharField(
        max_length=8, choices=BarcodeSource.choices, default=BarcodeSource.FILE
    )
    file = models.FileField(upload_to=ticket_file_path, storage=private_storage, max_length=255)
    # SHA-256 of the file's bytes: the same file is the same ticket. Empty for
    # tickets stored before files were hashed, and for the benchmark's shared file.
    file_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    # Whether the evidence (barcode from the file, face value from a tier or in
    # line with the event's) is verified; only a verified ticket can be listed.
    verification = models.CharField(
        max_length=16, choices=Verification.choices, default=Verification.PENDING_REVIEW
    )
    review_reasons = models.JSONField(default=list, blank=True)
    review_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "tickets"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="tickets_owner_status_idx"),
            models.Index(fields=["event", "status"], name="tickets_event_status_idx"),
            # The staff's review queue.
            models.Index(
                fields=["created_at"],
                condition=Q(verification="pending_review"),
                name="tickets_review_queue_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gte=0), name="tickets_face_value_gte_0"),
            # One barcode, one ticket: unique per event among tickets that still admit.
            models.UniqueConstraint(
                fields=["event", "barcode_hash"],
                condition=~Q(status="void"),
                name="tickets_active_barcode_unique",
            ),
            models.CheckConstraint(
                condition=Q(barcode_hash__regex=r"^[0-9a-f]{64}$"), name="tickets_barcode_hash_hex"
            ),
            # One file, one ticket: the same bytes twice for an event are one ticket.
            models.UniqueConstraint(
                fields=["event", "file_sha256"],
                condition=~Q(status="void") & ~Q(file_sha256=""),
                name="tickets_active_file_unique",
            ),
            models.CheckConstraint(
                condition=Q(file_sha256="") | Q(file_sha256__regex=r"^[0-9a-f]{64}$"),
                name="tickets_file_sha256_hex",
            ),
            models.CheckConstraint(
                condition=Q(original_fees__gte=0), name="tickets_original_fees_gte_0"
            ),
        ]

    def __str__(self):
        seat = " ".join(p for p in (self.section, self.row, self.seat) if p)
        return f"Ticket #{self.pk} ••{self.barcode_last4} {seat}".strip()


class TicketInReview(Ticket):
    """The staff's review queue: uploads waiting for a check (tickets.admin)."""

    class Meta:
        proxy = True
        verbose_name = _("ticket to review")
        verbose_name_plural = _("tickets to review")


class TicketTransfer(models.Model):
    """A ticket its owner gives to someone, by email address, whether or not
    the address has an Encore account (the answer is the same either way).

    The ticket is held (status transfer_pending: it cannot be listed, sold or
    offered again) until the person with that address claims it from the
    emailed link, logged in to a confirmed account of that address; or until
    the sender cancels, or it expires (TICKET_TRANSFER_HOLD_DAYS, and at the
    latest when the event starts): then it is the sender's again, in the
    status it had before.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be claimed")
        CLAIMED = "claimed", _("Claimed")
        CANCELLED = "cancelled", _("Cancelled by the sender")
        EXPIRED = "expired", _("Expired")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="transfers")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers_sent"
    )
    recipient_email = models.EmailField(max_length=254)
    # Who claimed it (an account with recipient_email, confirmed).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_received",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The emailed claim code is never stored, only its SHA-256.
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The ticket's status before it was held, given back on cancel or expiry.
    ticket_status_before = models.CharField(max_length=16, choices=Ticket.Status.choices)
    expires_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ticket_transfers"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="ticket_transfers_due_idx"),
        ]
        constraints = [
            # One ticket, one transfer waiting at a time.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status="pending"),
                name="ticket_transfers_one_pending",
            ),
        ]

    def __str__(self):
        return f"Transfer #{self.pk} of ticket #{self.ticket_id} ({self.status})"
