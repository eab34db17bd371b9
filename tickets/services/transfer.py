"""Giving a ticket to another registered user, and opening a ticket's file."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_can_trade
from marketplace.audit import audit_log_record
from marketplace.errors import (
    NotFound,
    PermissionDenied,
    TicketNotAvailable,
)
from messaging.models import Notification
from messaging.services import notification_create

from ..models import Ticket
from .checks import CONTENT_TYPES, invalid

# A recipient holds a transferred ticket like an available one, so they may pass it on.
TRANSFERABLE_STATUSES = Ticket.IN_HAND_STATUSES
# Why a ticket cannot be transferred, by status (TicketNotAvailable's details).
UNTRANSFERABLE_REASONS = {
    Ticket.Status.LISTED: "LISTED",
    Ticket.Status.RESERVED: "RESERVED",
    Ticket.Status.SOLD: "IN_ESCROW",
    Ticket.Status.VOID: "VOID",
}


# --- transfer -----------------------------------------------------------------


def ticket_transfer(*, owner, ticket: Ticket, recipient_email: str, ip_address=None) -> Ticket:
    """Give `ticket` to the registered user with `recipient_email` (any case).

    Guarantees: the owner changes and the status becomes "transferred" in one
    conditional UPDATE, with its "ticket.transferred" audit row, or nothing
    changes. Allowed only from available or transferred. The recipient is
    notified (and emailed).

    Raises NotFound (not `owner`'s ticket), PermissionDenied (`owner` may not
    trade), ValidationFailed on recipient_email (UNKNOWN_USER: no account that
    can receive tickets has this address; SELF_TRANSFER) or TicketNotAvailable
    (listed, reserved, sold and in escrow, or void; details give the reason).
    """
    if ticket.owner_id != owner.pk:
        raise NotFound("Ticket not found.")
    if not user_can_trade(user=owner):
        raise PermissionDenied(
            "Your account cannot transfer tickets at the moment.",
            details={"reason": "ACCOUNT_RESTRICTED"},
        )
    recipient = _recipient_find(owner=owner, email=recipient_email)

    with transaction.atomic():
        current = Ticket.objects.filter(pk=ticket.pk).values("owner_id", "status").first()
        if current is None or current["owner_id"] != owner.pk:
            raise NotFound("Ticket not found.")
        _transferable_check(current["status"])
        now = timezone.now()
        # Claim in one conditional UPDATE on the status just read: a listing,
        # purchase or other transfer that moved the ticket meanwhile makes this
        # change no row, and the ticket is not handed over twice.
        moved = Ticket.objects.filter(pk=ticket.pk, owner=owner, status=current["status"]).update(
            owner=recipient, status=Ticket.Status.TRANSFERRED, updated_at=now
        )
        if moved != 1:
            raise TicketNotAvailable(
                "This ticket changed while you were transferring it. Please try again.",
                details={"reason": "CHANGED"},
            )
        audit_log_record(
            actor=owner,
            action="ticket.transferred",
            entity=ticket,
            changes={
                "owner": {"from": owner.pk, "to": recipient.pk},
                "status": {"from": current["status"], "to": Ticket.Status.TRANSFERRED},
            },
            ip_address=ip_address,
        )
        notification_create(
            user=recipient,
            type=Notification.Type.TICKET_RECEIVED,
            payload={
                "ticket_id": ticket.pk,
                "event_name": ticket.event.name,
                # The name only, never the address: contact stays on Encore.
                "sender_name": owner.name.strip(),
            },
        )
    ticket.refresh_from_db()
    return ticket


def _recipient_find(*, owner, email):
    address = email.strip() if isinstance(email, str) else ""
    recipient = get_user_model().objects.filter(email__iexact=address).first() if address else None
    # Blocked accounts answer like unknown ones: a sender learns nothing about
    # another person's account standing.
    if recipient is None or not user_can_trade(user=recipient):
        raise invalid(
            "recipient_email",
            "UNKNOWN_USER",
            "No Encore account that can receive tickets uses this address.",
        )
    if recipient.pk == owner.pk:
        raise invalid("recipient_email", "SELF_TRANSFER", "This ticket is already yours.")
    return recipient


def _transferable_check(status: str) -> None:
    if status in TRANSFERABLE_STATUSES:
        return
    # 409 rather than 400: the request is well formed, the ticket's current
    # state refuses it (the code the listing and purchase races answer too).
    messages = {
        "LISTED": "Cancel the listing before transferring this ticket.",
        "RESERVED": "A buyer is paying for this ticket; it cannot be transferred.",
        "IN_ESCROW": "This ticket can be transferred once the purchase is complete.",
        "VOID": "This ticket is void and cannot be transferred.",
    }
    reason = UNTRANSFERABLE_REASONS.get(status, "UNAVAILABLE")
    raise TicketNotAvailable(
        messages.get(reason, "This ticket cannot be transferred."),
        details={"reason": reason, "status": status},
    )


# --- file ---------------------------------------------------------------------


def ticket_file_open(*, user, ticket: Ticket):
    """The ticket's file, open for reading, with its content type and a download name.

    Only the ticket's current owner, checked against the database (not the
    object passed in), gets it; a void ticket's file is given to no one.
    Raises NotFound for anyone else, the seller of a sold ticket included.
    Returns (file, content_type, filename); the caller closes the file.
    """
    current = (
        Ticket.objects.filter(pk=ticket.pk, owner_id=getattr(user, "pk", None))
        .exclude(status__in=Ticket.INACTIVE_STATUSES)
        .first()
    )
    if current is None or not current.file:
        raise NotFound("Ticket not found.")
    extension = current.file.name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    try:
        handle = current.file.storage.open(current.file.name, "rb")
    except FileNotFoundError as exc:
        raise NotFound("Ticket file not found.") from exc
    return handle, content_type, f"encore-ticket-{current.pk}.{extension}"
