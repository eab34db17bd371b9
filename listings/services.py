"""Listing a ticket, changing its price, cancelling it, and expiring it; and the
sell page's use case, uploading a ticket and listing it (ticket_upload_and_list).

Each service is one database transaction that either completes or changes
nothing (ticket_upload_and_list is two, and says what each leaves), checks the
price caps on every price it accepts (ARCHITECTURE.md, rule 1), and writes the
audit trail of what it changed (rule 9).
"""

import datetime
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import TraderDeclaration, User
from accounts.selectors import user_can_trade
from accounts.traders import trader_listing_check
from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    TicketNotAvailable,
    ValidationFailed,
)
from marketplace.core.money import money_str
from marketplace.core.versions import catalogue_changed
from messaging.models import Notification
from messaging.services import notification_create
from tickets.models import Ticket
from tickets.selectors import (
    EVENT_NOT_ON_SALE,
    LISTABLE_STATUSES,
    TICKET_IN_REVIEW,
    TICKET_NOT_IN_HAND,
    TICKET_REJECTED,
    ticket_unlistable_reason,
    ticket_unverified_reason,
)
from tickets.services import ticket_upload

from .event_copies import event_copies
from .models import Listing
from .pricing import price_validate, resale_rule_for
from .selectors import listing_tickets_listed_since
from .waitlist.offers import listing_hold_for_waitlist, listing_hold_withdraw


def _refuse(reason: str | None) -> None:
    """Raise the domain error of a reason tickets.selectors gives for a ticket that
    cannot be listed (None: nothing to refuse)."""
    if reason is None:
        return
    if reason == EVENT_NOT_ON_SALE:
        raise ValidationFailed(
            _("Tickets for this event cannot be sold: it is not on sale or has already started."),
            details={"field": "ticket", "reason": EVENT_NOT_ON_SALE},
        )
    if reason == TICKET_REJECTED:
        raise TicketNotAvailable(
            _("Encore's staff could not verify this ticket: it cannot be sold on Encore."),
            details={"field": "ticket", "reason": TICKET_REJECTED},
        )
    if reason == TICKET_IN_REVIEW:
        raise TicketNotAvailable(
            _(
                "This ticket is waiting for a check by Encore's staff: you can sell it once it "
                "is approved."
            ),
            details={"field": "ticket", "reason": TICKET_IN_REVIEW},
        )
    raise TicketNotAvailable(_("This ticket is already listed, sold or no longer valid."))


def _price_for(*, ticket: Ticket, price):
    # The cap is computed from the verified face value (and the fees its tier
    # declared) only, under the event's rule (rule 1, listings.pricing.resale_rule).
    _refuse(ticket_unverified_reason(ticket=ticket))
    return price_validate(
        price=price,
        face_value=ticket.face_value,
        original_fees=ticket.original_fees,
        rule=resale_rule_for(ticket.event),
    )


# What counts towards a seller's limit for an event: every ticket they put on sale
# through Encore for it that is on sale, being bought or sold (a listing they
# cancelled, or that expired, gave the ticket back: it does not count).
RESALE_LIMIT_STATUSES = (Listing.Status.ACTIVE, Listing.Status.PENDING, Listing.Status.SOLD)


def _resale_limit_error(limit: int) -> ValidationFailed:
    return ValidationFailed(
        ngettext(
            "You can sell at most %(limit)d ticket for this event on Encore, the most one fan "
            "could buy from the organizer.",
            "You can sell at most %(limit)d tickets for this event on Encore, the most one fan "
            "could buy from the organizer.",
            limit,
        )
        % {"limit": limit},
        details={"field": "ticket", "reason": "RESALE_LIMIT_REACHED", "limit": limit},
    )


def seller_listings_count(*, seller, event) -> int:
    """How many of `event`'s tickets `seller` has on sale, being bought or sold on Encore."""
    return Listing.objects.filter(
        seller=seller, ticket__event_id=event.pk, status__in=RESALE_LIMIT_STATUSES
    ).count()


def resale_limit_check(*, seller, event, lock: bool = True) -> None:
    """Refuse (ValidationFailed RESALE_LIMIT_REACHED) a listing beyond the event's
    primary_purchase_limit for `seller`. With `lock` (inside the listing's
    transaction), the seller's row is locked first: two listings by the same seller
    at once (two tabs, a script) wait for each other here, so the second counts the
    first and they cannot both pass the count at limit - 1."""
    if lock:
        User.objects.select_for_update().filter(pk=seller.pk).values_list("pk").get()
    limit = event.primary_purchase_limit
    if seller_listings_count(seller=seller, event=event) >= limit:
        raise _resale_limit_error(limit)


def _seller_declaration_check(seller) -> None:
    """A trader lists with complete details; a private seller past the yearly
    threshold declares first (accounts.traders, DSA Art. 30)."""
    trader_listing_check(
        seller=seller, tickets_listed_since=partial(listing_tickets_listed_since, seller=seller)
    )


def listing_create(
    *, seller, ticket: Ticket, price, expires_at: datetime.datetime | None = None, ip_address=None
) -> Listing:
    """Put `ticket` on sale at `price` until `expires_at` (default: the event's start).

    Raises NotFound (not the seller's ticket), PermissionDenied (account may not
    trade), ValidationFailed (price outside the caps, event not on sale, bad
    expiry, RESALE_LIMIT_REACHED: the seller has the event's primary_purchase_limit
    of its tickets on sale or sold already) or TicketNotAvailable (already listed,
    reserved, in escrow or void; or its evidence is not verified: TICKET_IN_REVIEW,
    TICKET_REJECTED).
    Whether a ticket can be listed is tickets.selectors.ticket_listable's rule;
    whether the seller may list, as a trader or a private seller, is
    accounts.traders' (field "trader": TRADER_DETAILS_MISSING,
    TRADER_DECLARATION_REQUIRED, TRADER_DETAILS_REJECTED, TRADER_REVIEW_PENDING).
    """
    if ticket.owner_id != seller.pk:
        raise NotFound(_("Ticket not found."))
    if not user_can_trade(user=seller):
        raise PermissionDenied(_("Your account cannot sell tickets at the moment."))
    _seller_declaration_check(seller)
    event = ticket.event
    now = timezone.now()
    reason = ticket_unlistable_reason(ticket=ticket, now=now)
    # The ticket's status is checked by the claim below, on the row rather than on
    # this copy of it (which may be older than a cancelled listing).
    if reason != TICKET_NOT_IN_HAND:
        _refuse(reason)
    price = _price_for(ticket=ticket, price=price)
    expires_at = expires_at or event.starts_at
    if not now < expires_at <= event.starts_at:
        raise ValidationFailed(
            _("A listing must end in the future and no later than the event's start."),
            details={"field": "expires_at", "reason": "INVALID_EXPIRY"},
        )

    with transaction.atomic():
        # No more of the event's tickets than one fan could buy (the event's
        # primary purchase limit), counted under a lock on the seller.
        resale_limit_check(seller=seller, event=event)
        # Claim the ticket in one conditional UPDATE: a concurrent listing,
        # transfer or sale of the same ticket moves it first and we stop here.
        claimed = Ticket.objects.filter(
            pk=ticket.pk,
            owner=seller,
            status__in=LISTABLE_STATUSES,
            verification=Ticket.Verification.VERIFIED,
        ).update(status=Ticket.Status.LISTED, updated_at=now)
        if claimed != 1:
            _refuse(TICKET_NOT_IN_HAND)
        try:
            # The partial unique index (one open listing per ticket) backs the claim.
            with transaction.atomic():
                listing = Listing.objects.create(
                    ticket=ticket,
                    seller=seller,
                    price=price,
                    listed_at=now,
                    expires_at=expires_at,
                    **event_copies(event),
                )
        except IntegrityError as exc:
            raise TicketNotAvailable(_("This ticket is already listed.")) from exc
        catalogue_changed(event_id=event.pk)
        audit_log_record(
            actor=seller,
            action=AuditAction.LISTING_CREATED,
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
            action=AuditAction.TICKET_LISTED,
            entity=ticket,
            old=ticket.status,
            new=Ticket.Status.LISTED,
            ip_address=ip_address,
        )
        # Fans waiting for the event get it first (rule 13): held, then offered
        # to the first matching fan once this commits.
        listing_hold_for_waitlist(listing=listing, now=now, actor=seller, ip_address=ip_address)
    ticket.status = Ticket.Status.LISTED
    return listing


@dataclass(frozen=True)
class TicketSale:
    """What ticket_upload_and_list did. The ticket is uploaded in every case; `listing`
    is None when it is not on sale, and then `refusal` says why (None: the ticket
    waits for a check by Encore's staff)."""

    ticket: Ticket
    listing: Listing | None = None
    refusal: DomainError | None = None

    @property
    def in_review(self) -> bool:
        return self.listing is None and self.refusal is None


def ticket_upload_and_list(*, seller, event, price, ip_address=None, **upload) -> TicketSale:
    """Upload `seller`'s ticket for `event` (`upload`: ticket_upload's file, face_value
    or tier_id, barcode, ticket_type, section, row, seat, restrictions,
    organizer_ticket_number) and put it on sale at `price`: the sell page's one form.

    Two steps, each its own transaction (ticket_upload must be the outermost one):

    - The seller has the event's primary_purchase_limit of its tickets on sale or
      sold already: ValidationFailed RESALE_LIMIT_REACHED, nothing is stored.
    - The upload is refused: its error is raised (PermissionDenied, ValidationFailed,
      DuplicateTicket, as ticket_upload) and nothing is stored.
    - The ticket is uploaded but waits for staff (a file without a readable barcode,
      a face value far above the event's): it is kept and not listed; the result has
      neither listing nor refusal. The seller lists it once it is approved.
    - The ticket is uploaded and the listing is refused (a price outside the caps, the
      account or the event changed meanwhile): the ticket is kept, available, and the
      refusal is returned, not raised. As on TicketSwap, the seller then fixes the
      price of the ticket already uploaded; uploading the same file again would be
      refused as a duplicate.
    """
    # Before the upload, so that a seller who may not list (trader details missing,
    # at their limit) stores nothing; listing_create checks again, under the lock.
    _seller_declaration_check(seller)
    resale_limit_check(seller=seller, event=event, lock=False)
    ticket = ticket_upload(owner=seller, event=event, ip_address=ip_address, **upload)
    if ticket_unverified_reason(ticket=ticket):
        return TicketSale(ticket=ticket)
    try:
        listing = listing_create(seller=seller, ticket=ticket, price=price, ip_address=ip_address)
    except DomainError as exc:
        return TicketSale(ticket=ticket, refusal=exc)
    return TicketSale(ticket=ticket, listing=listing)


def _listing_of_seller(*, seller, listing: Listing) -> Listing:
    if listing.seller_id != seller.pk:
        raise NotFound(_("Listing not found."))
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
            raise TicketNotAvailable(_("This listing can no longer be changed."))
        catalogue_changed(event_id=listing.ticket.event_id)
        audit_log_record(
            actor=seller,
            action=AuditAction.LISTING_PRICE_CHANGED,
            entity=listing,
            changes={"price": {"from": money_str(old_price), "to": money_str(price)}},
            ip_address=ip_address,
        )
    listing.refresh_from_db()
    return listing


def _listing_close(*, listing: Listing, status: str, actor, action: str, ip_address=None) -> bool:
    """Move an active listing to `status` and its ticket back to its owner's hands.

    Returns False (and changes nothing) when the listing is no longer active.
    A listing held for the waiting list (not yet bought) is closed too: its
    offer is withdrawn first. Runs inside the caller's transaction.
    """
    now = timezone.now()
    listing_hold_withdraw(listing_id=listing.pk, now=now, actor=actor, reason=action)
    closed = Listing.objects.filter(pk=listing.pk, status=Listing.Status.ACTIVE).update(
        status=status, updated_at=now
    )
    if closed != 1:
        return False
    catalogue_changed(event_id=listing.ticket.event_id)
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
        action=AuditAction.TICKET_UNLISTED,
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
            action=AuditAction.LISTING_CANCELLED,
            ip_address=ip_address,
        ):
            raise TicketNotAvailable(_("This listing is reserved, sold or already closed."))
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
            listing=listing,
            status=Listing.Status.EXPIRED,
            actor=None,
            action=AuditAction.LISTING_EXPIRED,
        ):
            return False
        notification_create(
            user=listing.seller,
            type=Notification.Type.LISTING_EXPIRED,
            payload={"listing_id": listing.pk, "event_name": listing.ticket.event.name},
        )
    return True


def listing_withdraw_for_cancelled_event(*, listing_id: int) -> bool:
    """Take an active listing of a cancelled event off sale (status cancelled,
    the ticket back in its owner's hands) and tell its seller why. Runs inside
    the caller's transaction (the event's cancellation job counts it there).

    Returns False, changing nothing, when the listing is not active (withdrawn
    already, reserved, sold or closed): safe to run twice at once.
    """
    listing = (
        Listing.objects.select_related("ticket__event", "seller").filter(pk=listing_id).first()
    )
    if listing is None or not _listing_close(
        listing=listing,
        status=Listing.Status.CANCELLED,
        actor=None,
        action=AuditAction.LISTING_WITHDRAWN,
    ):
        return False
    event = listing.ticket.event
    notification_create(
        user=listing.seller,
        type=Notification.Type.EVENT_CANCELLED,
        payload={
            "situation": "listing_withdrawn",
            "listing_id": listing.pk,
            "event_id": event.pk,
            "event_name": event.name,
            "price": money_str(listing.price),
            "currency": event.currency,
        },
    )
    return True


def trader_listings_withdraw(*, seller_id: int) -> int:
    """Take every listing of a seller whose trader details staff rejected off sale
    (accounts.traders.trader_declaration_review; DSA Art. 30(3)), each in its own
    transaction and audited; a ticket being bought finishes its sale. Nothing
    happens if the details were approved again meanwhile. Safe to run twice at
    once. Returns how many were withdrawn."""
    if not TraderDeclaration.objects.filter(
        user_id=seller_id, status=TraderDeclaration.Status.REJECTED
    ).exists():
        return 0
    withdrawn = 0
    on_sale = Listing.objects.filter(seller_id=seller_id, status=Listing.Status.ACTIVE)
    for listing in on_sale.select_related("ticket"):
        with transaction.atomic():
            withdrawn += _listing_close(
                listing=listing,
                status=Listing.Status.CANCELLED,
                actor=None,
                action=AuditAction.LISTING_WITHDRAWN,
            )
    return withdrawn


def rejected_traders_listings_withdraw() -> int:
    """The periodic sweep: listings still on sale by sellers whose trader details
    are rejected (the job after the rejection was lost with the broker)."""
    sellers = (
        Listing.objects.filter(
            status=Listing.Status.ACTIVE,
            seller__trader_declaration__status=TraderDeclaration.Status.REJECTED,
        )
        .values_list("seller_id", flat=True)
        .distinct()
    )
    return sum(trader_listings_withdraw(seller_id=pk) for pk in list(sellers))


def listings_expire_due(*, limit: int = 1000) -> int:
    """Expire the active listings whose time is up (default: their event started)."""
    due = Listing.objects.filter(
        status=Listing.Status.ACTIVE, expires_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    return sum(listing_expire(listing_id=pk) for pk in list(due))
