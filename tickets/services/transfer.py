"""Giving a ticket to someone by email address, and opening a ticket's file.

A transfer is offered to an email address, whether or not an Encore account
uses it, and the sender's answer is the same either way (no account
enumeration). The ticket is held for the address (status transfer_pending)
until its owner claims it from the emailed link, logged in to a confirmed
account of that address (someone new signs up first); until then the sender
may cancel, and after TICKET_TRANSFER_HOLD_DAYS (at the latest when the event
starts) it expires: either way the ticket goes back to the sender as it was.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import user_can_trade
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.emails import email_language
from marketplace.core.errors import (
    NotFound,
    PermissionDenied,
    TicketNotAvailable,
)
from messaging.models import Notification
from messaging.services import email_enqueue_template, notification_create

from ..models import Ticket, TicketTransfer
from .checks import CONTENT_TYPES, invalid

# A recipient holds a transferred ticket like an available one, so they may pass it on.
TRANSFERABLE_STATUSES = Ticket.IN_HAND_STATUSES
# Why a ticket cannot be transferred, by status (TicketNotAvailable's details).
UNTRANSFERABLE_REASONS = {
    Ticket.Status.LISTED: "LISTED",
    Ticket.Status.RESERVED: "RESERVED",
    Ticket.Status.SOLD: "IN_ESCROW",
    Ticket.Status.TRANSFER_PENDING: "TRANSFER_PENDING",
    Ticket.Status.VOID: "VOID",
}
# Why a claim code no longer gives the ticket, by the transfer's status.
CLOSED_REASONS = {
    TicketTransfer.Status.CLAIMED: "CLAIMED",
    TicketTransfer.Status.CANCELLED: "CANCELLED",
    TicketTransfer.Status.EXPIRED: "EXPIRED",
}


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "backslashreplace")).hexdigest()


def _email(*, to: str, template: str, language: str, **context) -> None:
    email_enqueue_template(
        to=to, template=f"emails/tickets/{template}.html", context=context, language=language
    )


# --- offer --------------------------------------------------------------------


def ticket_transfer(
    *, owner, ticket: Ticket, recipient_email: str, site_url: str = "", ip_address=None
) -> TicketTransfer:
    """Offer `ticket` to whoever owns `recipient_email` (any case), with or
    without an Encore account: the answer is the same (no account enumeration).

    Guarantees: the ticket is held (status transfer_pending) in one
    conditional UPDATE from available or transferred, with its pending
    TicketTransfer, its "ticket.transfer_offered" audit row (which says
    whether the address had an account) and one email to the address (a link
    to accept it, or an invitation to sign up and claim it, on
    settings.SITE_URL; `site_url` is no longer used), or nothing changes.

    Raises NotFound (not `owner`'s ticket), PermissionDenied (`owner` may not
    trade), ValidationFailed on recipient_email (INVALID_EMAIL, SELF_TRANSFER),
    or TicketNotAvailable (listed, reserved, sold and in escrow, already
    offered, void, or the event started; details give the reason).
    """
    if ticket.owner_id != owner.pk:
        raise NotFound(_("Ticket not found."))
    if not user_can_trade(user=owner):
        raise PermissionDenied(
            _("Your account cannot transfer tickets at the moment."),
            details={"reason": "ACCOUNT_RESTRICTED"},
        )
    address = _recipient_address(owner=owner, email=recipient_email)
    # Looked up whatever the answer, so both kinds of address cost the same.
    recipient = get_user_model().objects.filter(email__iexact=address).first()
    now = timezone.now()

    with transaction.atomic():
        current = Ticket.objects.filter(pk=ticket.pk).select_related("event").first()
        if current is None or current.owner_id != owner.pk:
            raise NotFound(_("Ticket not found."))
        _transferable_check(current.status)
        starts_at = current.event.starts_at
        if starts_at <= now:
            raise TicketNotAvailable(
                _("This event has started; its tickets can no longer be transferred."),
                details={"reason": "EVENT_STARTED"},
            )
        # Claim in one conditional UPDATE on the status just read: a listing,
        # purchase or other transfer that moved the ticket meanwhile makes this
        # change no row, and the ticket is not offered twice.
        held = Ticket.objects.filter(pk=ticket.pk, owner=owner, status=current.status).update(
            status=Ticket.Status.TRANSFER_PENDING, updated_at=now
        )
        if held != 1:
            raise TicketNotAvailable(
                _("This ticket changed while you were transferring it. Please try again."),
                details={"reason": "CHANGED"},
            )
        code = secrets.token_urlsafe(24)
        offer = TicketTransfer.objects.create(
            ticket_id=ticket.pk,
            sender=owner,
            recipient_email=address,
            code_hash=_code_hash(code),
            ticket_status_before=current.status,
            expires_at=min(now + timedelta(days=settings.TICKET_TRANSFER_HOLD_DAYS), starts_at),
        )
        audit_log_record(
            actor=owner,
            action=AuditAction.TICKET_TRANSFER_OFFERED,
            entity=ticket,
            changes={
                "status": {"from": current.status, "to": Ticket.Status.TRANSFER_PENDING},
                "transfer_id": offer.pk,
                "recipient_email": address,
                # What the sender is never told: an account, or an invitation.
                "recipient": "account" if recipient is not None else "invitation",
                "recipient_id": recipient.pk if recipient is not None else None,
                "expires_at": offer.expires_at.isoformat(),
            },
            ip_address=ip_address,
        )
        _email(
            to=address,
            template="transfer_offer" if recipient is not None else "transfer_invitation",
            # The recipient's language; a stranger gets the sender's.
            language=email_language(
                recipient, fallback=email_language(owner, fallback=translation.get_language())
            ),
            sender_name=owner.public_name_or("An Encore fan"),
            event=current.event,
            ticket=ticket,
            code=code,
            address=address,
            expires_at=offer.expires_at,
        )
    ticket.refresh_from_db()
    offer.ticket = ticket
    return offer


def _recipient_address(*, owner, email) -> str:
    address = get_user_model().objects.normalize_email(email if isinstance(email, str) else "")
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise invalid(
            "recipient_email", "INVALID_EMAIL", _("Enter the email address to send it to.")
        )
    if address == owner.email.lower():
        raise invalid("recipient_email", "SELF_TRANSFER", _("This ticket is already yours."))
    return address


def _transferable_check(status: str) -> None:
    if status in TRANSFERABLE_STATUSES:
        return
    # 409 rather than 400: the request is well formed, the ticket's current
    # state refuses it (the code the listing and purchase races answer too).
    messages = {
        "LISTED": _("Cancel the listing before transferring this ticket."),
        "RESERVED": _("A buyer is paying for this ticket; it cannot be transferred."),
        "IN_ESCROW": _("This ticket can be transferred once the purchase is complete."),
        "TRANSFER_PENDING": _("This ticket is already offered to someone: cancel that first."),
        "VOID": _("This ticket is void and cannot be transferred."),
    }
    reason = UNTRANSFERABLE_REASONS.get(status, "UNAVAILABLE")
    raise TicketNotAvailable(
        messages.get(reason, _("This ticket cannot be transferred.")),
        details={"reason": reason, "status": status},
    )


# --- claim ----------------------------------------------------------------------


def ticket_transfer_get_by_code(*, code: str) -> TicketTransfer:
    """The transfer an emailed code belongs to, with its ticket, event and
    sender; NotFound for a code that matches none."""
    offer = (
        TicketTransfer.objects.select_related("ticket__event", "sender")
        .filter(code_hash=_code_hash(code or ""))
        .first()
        if code
        else None
    )
    if offer is None:
        raise NotFound(_("This transfer link is not valid."))
    return offer


def ticket_transfer_claim(*, user, code: str, ip_address=None) -> Ticket:
    """`user` accepts the ticket offered with the emailed `code`.

    Guarantees: the ticket becomes `user`'s (status transferred) in one
    conditional UPDATE, the transfer is claimed, audited ("ticket.transferred")
    and `user` notified, or nothing changes.

    Raises NotFound (no such code), PermissionDenied (reason
    EMAIL_NOT_VERIFIED or ACCOUNT_RESTRICTED: `user` may not trade;
    WRONG_ACCOUNT: the ticket was sent to another address) or
    TicketNotAvailable (reason CLAIMED, CANCELLED or EXPIRED, or CHANGED).
    """
    offer = ticket_transfer_get_by_code(code=code)
    with transaction.atomic():
        # Locked: a claim racing a cancel, the expiry job or another claim
        # waits, then finds the transfer no longer pending.
        offer = TicketTransfer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if offer.status != TicketTransfer.Status.PENDING:
            raise TicketNotAvailable(
                _("This ticket transfer is closed."),
                details={"reason": CLOSED_REASONS[offer.status]},
            )
        now = timezone.now()
        if offer.expires_at <= now:
            raise TicketNotAvailable(
                _("This ticket transfer has expired."), details={"reason": "EXPIRED"}
            )
        if user.email.lower() != offer.recipient_email or user.pk == offer.sender_id:
            raise PermissionDenied(
                _(
                    "This ticket was sent to another address. Log in with the account of "
                    "%(email)s to accept it."
                )
                % {"email": offer.recipient_email},
                details={"reason": "WRONG_ACCOUNT"},
            )
        if not user_can_trade(user=user):
            reason = "EMAIL_NOT_VERIFIED" if not user.email_verified else "ACCOUNT_RESTRICTED"
            raise PermissionDenied(
                _(
                    "Confirm your email address first (the link we emailed you), then accept the "
                    "ticket."
                )
                if reason == "EMAIL_NOT_VERIFIED"
                else _("Your account cannot receive tickets at the moment."),
                details={"reason": reason},
            )
        moved = Ticket.objects.filter(
            pk=offer.ticket_id, owner_id=offer.sender_id, status=Ticket.Status.TRANSFER_PENDING
        ).update(owner=user, status=Ticket.Status.TRANSFERRED, updated_at=now)
        if moved != 1:
            raise TicketNotAvailable(
                _("This ticket changed; ask the sender to transfer it again."),
                details={"reason": "CHANGED"},
            )
        TicketTransfer.objects.filter(pk=offer.pk).update(
            status=TicketTransfer.Status.CLAIMED, recipient=user, resolved_at=now, updated_at=now
        )
        ticket = Ticket.objects.select_related("event").get(pk=offer.ticket_id)
        audit_log_record(
            actor=user,
            action=AuditAction.TICKET_TRANSFERRED,
            entity=ticket,
            changes={
                "owner": {"from": offer.sender_id, "to": user.pk},
                "status": {"from": Ticket.Status.TRANSFER_PENDING, "to": Ticket.Status.TRANSFERRED},
                "transfer_id": offer.pk,
            },
            ip_address=ip_address,
        )
        notification_create(
            user=user,
            type=Notification.Type.TICKET_RECEIVED,
            payload={
                "ticket_id": ticket.pk,
                "event_name": ticket.event.name,
                # The name only, never the address: contact stays on Encore.
                "sender_name": offer.sender.public_name_or(""),
            },
        )
    return ticket


# --- cancel and expiry -----------------------------------------------------------


def _release(*, offer: TicketTransfer, status: str, now) -> bool:
    """Give the held ticket back to its sender, in its status from before, and
    close the transfer. Runs in the caller's transaction, `offer` locked."""
    released = Ticket.objects.filter(
        pk=offer.ticket_id, owner_id=offer.sender_id, status=Ticket.Status.TRANSFER_PENDING
    ).update(status=offer.ticket_status_before, updated_at=now)
    TicketTransfer.objects.filter(pk=offer.pk).update(
        status=status, resolved_at=now, updated_at=now
    )
    return released == 1


def ticket_transfer_cancel(*, owner, ticket: Ticket, ip_address=None) -> Ticket:
    """The sender takes back the ticket they offered: it is theirs again, in
    its status from before, audited ("ticket.transfer_cancelled"); the emailed
    link no longer works.

    Raises NotFound (not `owner`'s ticket, or no transfer of it waiting).
    """
    with transaction.atomic():
        offer = (
            TicketTransfer.objects.select_for_update(of=("self",))
            .filter(ticket_id=ticket.pk, sender_id=owner.pk, status=TicketTransfer.Status.PENDING)
            .first()
        )
        if offer is None:
            raise NotFound(_("No transfer of this ticket is waiting."))
        _release(offer=offer, status=TicketTransfer.Status.CANCELLED, now=timezone.now())
        audit_log_record(
            actor=owner,
            action=AuditAction.TICKET_TRANSFER_CANCELLED,
            entity=ticket,
            changes={
                "status": {
                    "from": Ticket.Status.TRANSFER_PENDING,
                    "to": offer.ticket_status_before,
                },
                "transfer_id": offer.pk,
            },
            ip_address=ip_address,
        )
    ticket.refresh_from_db()
    return ticket


def ticket_transfers_expire(*, now=None, limit: int = 500) -> int:
    """Give back to their senders the tickets whose transfer expired unclaimed
    (periodic job), each audited ("ticket.transfer_expired") and its sender
    emailed. Each in its own transaction, so an interrupted run loses
    nothing; running it twice changes nothing more. Returns how many expired."""
    now = now or timezone.now()
    due = list(
        TicketTransfer.objects.filter(
            status=TicketTransfer.Status.PENDING, expires_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            offer = (
                TicketTransfer.objects.select_for_update(of=("self",))
                .select_related("ticket__event", "sender")
                .filter(pk=pk, status=TicketTransfer.Status.PENDING)
                .first()
            )
            if offer is None:  # claimed or cancelled meanwhile
                continue
            _release(offer=offer, status=TicketTransfer.Status.EXPIRED, now=now)
            audit_log_record(
                actor=None,
                action=AuditAction.TICKET_TRANSFER_EXPIRED,
                entity=offer.ticket,
                changes={
                    "status": {
                        "from": Ticket.Status.TRANSFER_PENDING,
                        "to": offer.ticket_status_before,
                    },
                    "transfer_id": offer.pk,
                },
            )
            _email(
                to=offer.sender.email,
                template="transfer_expired",
                language=email_language(offer.sender),
                user=offer.sender,
                event=offer.ticket.event,
                address=offer.recipient_email,
            )
            expired += 1
    return expired


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
        raise NotFound(_("Ticket not found."))
    extension = current.file.name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    try:
        handle = current.file.storage.open(current.file.name, "rb")
    except FileNotFoundError as exc:
        raise NotFound(_("Ticket file not found.")) from exc
    return handle, content_type, f"encore-ticket-{current.pk}.{extension}"
