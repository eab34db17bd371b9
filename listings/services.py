"""Listing a ticket, changing its price, cancelling it, and expiring it.

Each service is one database transaction that either completes or changes
nothing, checks the price caps on every price it accepts (ARCHITECTURE.md,
rule 1), and writes the audit trail of what it changed (rule 9).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import user_can_trade
from events.selectors import event_is_on_sale
from marketplace.audit import audit_log_record, audit_status_change
from marketplace.errors import NotFound, PermissionDenied, TicketNotAvailable, ValidationFailed
from marketplace.money import money_str
from messaging.models import Notification
from messaging.services import notification_create
from tickets.models import Ticket

from .models import Listing
from .pricing import price_validate

# A ticket can be put on sale from these states (a transferred ticket is held
# by its recipient like any other); not while listed, reserved, in escrow or void.
LISTABLE_TICKET_STATUSES = Ticket.IN_HAND_STATUSES


def ticket_check_verified(*, ticket: Ticket) -> None:
    """Only a ticket whose evidence is verified is priced: its face value is a tier's,
    in line with the event's, or confirmed by staff, never only typed (rule 1).
    Raises TicketNotAvailable (reason TICKET_IN_REVIEW or TICKET_REJECTED)."""
    if ticket.verification == Ticket.Verification.VERIFIED:
        return
    if ticket.verification == Ticket.Verification.REJECTED:
        raise TicketNotAvailable(
            "Encore's staff could not verify this ticket: it cannot be sold on Encore.",
            details={"field": "ticket", "reason": "TICKET_REJECTED"},
        )
    raise TicketNotAvailable(
        "This ticket is waiting for a check by Encore's staff: you can sell it once it is "
        "approved.",
        details={"field": "ticket", "reason": "TICKET_IN_REVIEW"},
    )


def _price_for(*, ticket: Ticket, price):
    # The cap is computed from the verified face value only (rule 1).
    ticket_check_verified(ticket=ticket)
    event = ticket.event
    return price_validate(
        price=price, face_value=ticket.face_value, category=event.category, country=event.country
    )


def listing_create(
    *, seller, ticket: Ticket, price, expires_at: datetime.datetime | None = None, ip_address=None
) -> Listing:
    """Put `ticket` on sale at `price` until `expires_at` (default: the event's start).

    Raises NotFound (not the seller's ticket), PermissionDenied (account may not
    trade), ValidationFailed (price outside the caps, event not on sale, bad
    expiry) or TicketNotAvailable (already listed, reserved, in escrow or void;
    or its evidence is not verified: TICKET_IN_REVIEW, TICKET_REJECTED).
    """
    if ticket.owner_id != seller.pk:
        raise NotFound("Ticket not found.")
    if not user_can_trade(user=seller):
        raise PermissionDenied("Your account cannot sell tickets at the moment.")
    event = ticket.event
    now = timezone.now()
    if not event_is_on_sale(event=event, now=now):
        raise ValidationFailed(
            "Tickets for this event cannot be sold: it is not on sale or has already started.",
            details={"field": "ticket", "reason": "EVENT_NOT_ON_SALE"},
        )
    price = _price_for(ticket=ticket, price=price)
    expires_at = expires_at or event.starts_at
    if not now < expires_at <= event.starts_at:
        raise ValidationFailed(
            "A listing must end in the future and no later than the event's start.",
            details={"field": "expires_at", "reason": "INVALID_EXPIRY"},
        )

    with transaction.atomic():
        # Claim the ticket in one conditional UPDATE: a concurrent listing,
        # transfer or sale of the same ticket moves it first and we stop here.
        claimed = Ticket.objects.filter(
            pk=ticket.pk,
            owner=seller,
            status__in=LISTABLE_TICKET_STATUSES,
            verification=Ticket.Verification.VERIFIED,
        ).update(status=Ticket.Status.LISTED, updated_at=now)
        if claimed != 1:
            raise TicketNotAvailable("This ticket is already listed, sold or no longer valid.")
        try:
            # The partial unique index (one open listing per ticket) backs the claim.
            with transaction.atomic():
                listing = Listing.objects.create(
                    ticket=ticket, seller=seller, price=price, listed_at=now, expires_at=expires_at
                )
        except IntegrityError as exc:
            raise TicketNotAvailable("This ticket is already listed.") from exc
        audit_log_record(
            actor=seller,
            action="listing.created",
            entity=listing,
            changes={
                "ticket_id": ticket.pk,
                "price": money_str(price),
                "expires_at": expires_at.isoformat(),
            },
            ip_address=ip_address,
        )
        audit_status_change(
            actor=seller,
            action="ticket.listed",
            entity=ticket,
            old=ticket.status,
            new=Ticket.Status.LISTED,
            ip_address=ip_address,
        )
    ticket.status = Ticket.Status.LISTED
    return listing


def _listing_of_seller(*, seller, listing: Listing) -> Listing:
    if listing.seller_id != seller.pk:
        raise NotFound("Listing not found.")
    return listing


def listing_update_price(*, seller, listing: Listing, price, ip_address=None) -> Listing:
    """Change the price of an active listing, within the caps.

    Raises NotFound (not the seller's), ValidationFailed (outside the caps) or
    TicketNotAvailable (reserved by a buyer, sold, cancelled or expired).
    """
    _listing_of_seller(seller=seller, listing=listing)
    price = _price_for(ticket=listing.ticket, price=price)
    old_price = listing.price
    with transaction.atomic():
        # Only an active listing changes price: a buyer in checkout keeps the
        # price they reserved at, whatever the seller does meanwhile.
        changed = Listing.objects.filter(pk=listing.pk, status=Listing.Status.ACTIVE).update(
            price=price, updated_at=timezone.now()
        )
        if changed != 1:
            raise TicketNotAvailable("This listing can no longer be changed.")
        audit_log_record(
            actor=seller,
            action="listing.price_changed",
            entity=listing,
            changes={"price": {"from": money_str(old_price), "to": money_str(price)}},
            ip_address=ip_address,
        )
    listing.refresh_from_db()
    return listing


def _listing_close(*, listing: Listing, status: str, actor, action: str, ip_address=None) -> bool:
    """Move an active listing to `status` and its ticket back to its owner's hands.

    Returns False (and changes nothing) when the listing is no longer active.
    Runs inside the caller's transaction.
    """
    now = timezone.now()
    closed = Listing.objects.filter(pk=listing.pk, status=Listing.Status.ACTIVE).update(
        status=status, updated_at=now
    )
    if closed != 1:
        return False
    Ticket.objects.filter(pk=listing.ticket_id, status=Ticket.Status.LISTED).update(
        status=Ticket.Status.AVAILABLE, updated_at=now
    )
    audit_status_change(
        actor=actor,
        action=action,
        entity=listing,
        old=Listing.Status.ACTIVE,
        new=status,
        ip_address=ip_address,
    )
    audit_status_change(
        actor=actor,
        action="ticket.unlisted",
        entity=listing.ticket,
        old=Ticket.Status.LISTED,
        new=Ticket.Status.AVAILABLE,
        ip_address=ip_address,
    )
    return True


def listing_cancel(*, actor, listing: Listing, ip_address=None) -> Listing:
    """Take an active listing off sale: by its seller, or by staff moderating.

    Raises NotFound (someone else's listing) or TicketNotAvailable (reserved by
    a buyer, sold, or already closed).
    """
    if not actor.is_staff:
        _listing_of_seller(seller=actor, listing=listing)
    with transaction.atomic():
        if not _listing_close(
            listing=listing,
            status=Listing.Status.CANCELLED,
            actor=actor,
            action="listing.cancelled",
            ip_address=ip_address,
        ):
            raise TicketNotAvailable("This listing is reserved, sold or already closed.")
    listing.refresh_from_db()
    return listing


def listing_expire(*, listing_id: int) -> bool:
    """Expire one active listing whose time is up; notify its seller.

    Returns False when it is not due or no longer active (safe to run twice).
    """
    listing = (
        Listing.objects.select_related("ticket__event")
        .filter(pk=listing_id, status=Listing.Status.ACTIVE, expires_at__lte=timezone.now())
        .first()
    )
    if listing is None:
        return False
    with transaction.atomic():
        if not _listing_close(
            listing=listing, status=Listing.Status.EXPIRED, actor=None, action="listing.expired"
        ):
            return False
        notification_create(
            user=listing.seller,
            type=Notification.Type.LISTING_EXPIRED,
            payload={"listing_id": listing.pk, "event_name": listing.ticket.event.name},
        )
    return True


def listings_expire_due(*, limit: int = 1000) -> int:
    """Expire the active listings whose time is up (default: their event started)."""
    due = Listing.objects.filter(
        status=Listing.Status.ACTIVE, expires_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    return sum(listing_expire(listing_id=pk) for pk in list(due))
