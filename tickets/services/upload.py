"""Uploading a ticket: checked input, one barcode one ticket, the file in private storage."""

from django.core.files import File
from django.db import IntegrityError, transaction

from accounts.selectors import user_can_trade
from events.models import Event
from marketplace.audit import audit_log_record
from marketplace.errors import (
    DuplicateTicket,
    PermissionDenied,
)
from marketplace.money import money_str

from ..barcodes import barcode_hash, barcode_last4
from ..models import Ticket
from .checks import (
    barcode_clean,
    event_check_open,
    face_value_clean,
    file_check,
    place_clean,
    ticket_type_clean,
)

BARCODE_GUARD = "tickets_active_barcode_unique"


# --- upload -------------------------------------------------------------------


def ticket_upload(
    *,
    owner,
    event: Event,
    face_value,
    barcode: str,
    file: File,
    ticket_type: str = Ticket.Type.GENERAL_ADMISSION,
    section: str = "",
    row: str = "",
    seat: str = "",
    ip_address: str | None = None,
) -> Ticket:
    """Put `owner`'s ticket for `event` on Encore, available, with its file.

    Guarantees: either the ticket row, its file in private storage and its
    "ticket.uploaded" audit row all exist, or none does. The barcode is kept
    only as a keyed hash and its last four characters. At most one active
    ticket per event has a given barcode, whatever the concurrency.

    Raises PermissionDenied (the account may not trade), ValidationFailed
    (details name the field: event, face_value, ticket_type, section, row,
    seat, barcode or file) or DuplicateTicket (an active ticket of the event
    has this barcode; that refusal is itself audit-logged and committed, as a
    fraud signal).

    Must be the outermost transaction (durable): the uploaded file is deleted
    when this transaction fails, which is only sound if nothing can roll the
    row back after we return.
    """
    if not user_can_trade(user=owner):
        raise PermissionDenied(
            "Your account cannot sell tickets at the moment.",
            details={"reason": "ACCOUNT_RESTRICTED"},
        )
    event_check_open(event=event)
    face_value = face_value_clean(face_value)
    ticket_type = ticket_type_clean(ticket_type)
    places = {
        name: place_clean(name, value)
        for name, value in (("section", section), ("row", row), ("seat", seat))
    }
    code = barcode_clean(barcode)
    extension = file_check(file)

    hashed, last4 = barcode_hash(code), barcode_last4(code)
    try:
        ticket = _ticket_insert(
            owner=owner,
            event=event,
            face_value=face_value,
            ticket_type=ticket_type,
            places=places,
            hashed=hashed,
            last4=last4,
            file=file,
            extension=extension,
            ip_address=ip_address,
        )
    except _Duplicate as duplicate:
        _duplicate_record(
            owner=owner,
            event=event,
            last4=last4,
            existing=duplicate.existing,
            ip_address=ip_address,
        )
        raise DuplicateTicket(
            "A ticket with this barcode is already on Encore for this event.",
            details={"field": "barcode", "reason": "DUPLICATE_BARCODE"},
        ) from None
    return ticket


class _Duplicate(Exception):
    def __init__(self, existing):
        self.existing = existing


def _ticket_insert(
    *, owner, event, face_value, ticket_type, places, hashed, last4, file, extension, ip_address
) -> Ticket:
    """Insert the row, then write the file, in one transaction; remove the file if it fails."""
    ticket = Ticket(
        event=event,
        owner=owner,
        ticket_type=ticket_type,
        face_value=face_value,
        barcode_hash=hashed,
        barcode_last4=last4,
        status=Ticket.Status.AVAILABLE,
        **places,
    )
    try:
        with transaction.atomic(durable=True):
            # The friendly check: finds a duplicate uploaded earlier (the usual case).
            existing = _active_ticket_with_barcode(event=event, hashed=hashed)
            if existing is not None:
                raise _Duplicate(existing)
            # The INSERT comes before the file is written, so that an upload the
            # database refuses never writes a file. Its `file` column is filled
            # below, before commit: no other transaction ever sees it empty.
            ticket.save()
            ticket.file.save(f"ticket.{extension}", file, save=False)
            ticket.save(update_fields=["file"])
            audit_log_record(
                actor=owner,
                action="ticket.uploaded",
                entity=ticket,
                changes={
                    "event_id": event.pk,
                    "face_value": money_str(face_value),
                    "ticket_type": ticket_type,
                    **places,
                    "barcode_last4": last4,
                    "status": {"from": None, "to": Ticket.Status.AVAILABLE},
                },
                ip_address=ip_address,
            )
    except IntegrityError as exc:
        _file_discard(ticket)
        # WHY: the check above is a plain SELECT; two uploads of the same barcode
        # at once both find nothing and both INSERT. The partial unique index
        # tickets_active_barcode_unique (event, barcode_hash where not void) is
        # the real guard: the second INSERT waits for the first to commit, then
        # fails here. That loser is a duplicate like any other, not a 500.
        if not _is_barcode_guard(exc):
            raise
        raise _Duplicate(_active_ticket_with_barcode(event=event, hashed=hashed)) from exc
    except BaseException:
        # Anything else (storage full, audit failure, a lost connection at
        # commit): the row is rolled back, so the file must go too.
        _file_discard(ticket)
        raise
    return ticket


def _active_ticket_with_barcode(*, event, hashed) -> Ticket | None:
    return (
        Ticket.objects.filter(event=event, barcode_hash=hashed)
        .exclude(status__in=Ticket.INACTIVE_STATUSES)
        .order_by("pk")
        .first()
    )


def _is_barcode_guard(exc: IntegrityError) -> bool:
    """Whether `exc` is the duplicate-barcode index refusing a row, and not another constraint."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg) names the index that refused the row
        return diag.constraint_name == BARCODE_GUARD
    # SQLite (the embedded run) names the columns instead.
    return "tickets.event_id, tickets.barcode_hash" in str(exc)


def _file_discard(ticket: Ticket) -> None:
    """Delete the file written for a row that was rolled back (never another upload's file)."""
    if ticket.file and ticket.file.name:
        ticket.file.storage.delete(ticket.file.name)


def _duplicate_record(*, owner, event, last4, existing, ip_address) -> None:
    """Audit a refused duplicate in its own transaction: it stays though the upload failed."""
    with transaction.atomic():
        audit_log_record(
            actor=owner,
            action="ticket.duplicate_barcode_refused",
            # The ticket whose barcode was offered again; the event if it has
            # since been voided (the race's winner was refunded meanwhile).
            entity=existing if existing is not None else event,
            changes={
                "event_id": event.pk,
                "barcode_last4": last4,
                "existing_ticket_id": existing.pk if existing is not None else None,
                "existing_owner_id": existing.owner_id if existing is not None else None,
            },
            ip_address=ip_address,
        )
