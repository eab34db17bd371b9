from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.storage import private_storage


def ticket_file_path(ticket, filename):
    # The owner's name never appears in the path; the event groups the files.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tickets/{ticket.event_id}/{ticket.barcode_hash[:32]}.{extension}"


class Ticket(models.Model):
    class Type(models.TextChoices):
        GENERAL_ADMISSION = "general_admission", "General admission"
        SEATED = "seated", "Seated"
        STANDING = "standing", "Standing"
        VIP = "vip", "VIP"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        LISTED = "listed", "Listed"
        RESERVED = "reserved", "Reserved"
        SOLD = "sold", "Sold"
        TRANSFERRED = "transferred", "Transferred"
        VOID = "void", "Void"

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
    barcode_hash = models.CharField(max_length=64, editable=False)
    barcode_last4 = models.CharField(max_length=4, editable=False)
    file = models.FileField(upload_to=ticket_file_path, storage=private_storage, max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "tickets"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="tickets_owner_status_idx"),
            models.Index(fields=["event", "status"], name="tickets_event_status_idx"),
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
        ]

    def __str__(self):
        seat = " ".join(p for p in (self.section, self.row, self.seat) if p)
        return f"Ticket #{self.pk} ••{self.barcode_last4} {seat}".strip()
