"""Buying a listing: reserve it in one statement, then ask Stripe for the money.

The reservation and the transaction row are written in one durable database
transaction; the Stripe call comes after it, so no row lock is held while
Stripe answers. If Stripe refuses or cannot be reached, the reservation is
released before the error reaches the buyer: nothing stays half-written.
"""

import datetime
import re

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.selectors import user_can_trade
from events.selectors import event_is_on_sale
from listings.models import Listing
from listings.pricing import fee_breakdown
from listings.waitlist.offers import fan_lock, waitlist_due_check, waitlist_offer_accept
from listings.waitlist.selectors import fan_open_offers, listing_offered_to, offer_is_open
from marketplace.core import metrics
from marketplace.core.audit import AuditAction, audit_entry, audit_log_write, audit_status_entry
from marketplace.core.errors import (
    DomainError,
    ListingExpired,
    NotFound,
    PaymentFailed,
    PermissionDenied,
    TicketNotAvailable,
    ValidationFailed,
)
from marketplace.core.money import money_str
from marketplace.core.versions import catalogue_changed
from payments import gateway
from payments.models import Transaction
from payments.selectors import transaction_get_for_buyer
from tickets.models import Ticket

from .payment import Purchase, transaction_apply_intent, transaction_release
from .reservations import reservation_release_expired

# Transactions that count towards a buyer's tickets for one event.
LIVE_STATUSES = Transaction.HOLDING_STATUSES


# A Stripe PaymentMethod ("pm_..."), or a card id ("card_...") or source
# ("src_...") that the PaymentMethods API accepts: printable ASCII only, so
# nothing odd reaches Stripe's request or its headers.
PAYMENT_METHOD_ID = re.compile(r"(pm|card|src)_[A-Za-z0-9_]{1,200}")


def payment_method_format_check(*, payment_method_id: str) -> None:
    """Refuse a payment method id that is not one (VALIDATION_ERROR), before any
    Stripe call."""
    if not PAYMENT_METHOD_ID.fullmatch(payment_method_id):
        raise ValidationFailed(
            _("This is not a card reference from Stripe (pm_..., card_... or src_...)."),
            details={"field": "payment_method_id", "reason": "INVALID_PAYMENT_METHOD"},
        )


def payment_method_validate(*, payment_method_id: str) -> None:
    """Refuse a payment method id that is not one (before any Stripe call),
    then one Stripe does not know: nothing is reserved or charged with it."""
    payment_method_format_check(payment_method_id=payment_method_id)
    gateway.payment_method_check(payment_method_id=payment_method_id)


def _listing_reserve(*, listing_id: int, now: datetime.datetime) -> bool:
    """Claim the listing for one buyer: the guard of "one ticket, one sale".

    One conditional UPDATE: of any number of buyers racing for the same
    listing, PostgreSQL lets exactly one change the row from active to
    pending; the others see zero rows changed. A SELECT-then-UPDATE would let
    several read "active" before any of them writes.
    """
    return (
        Listing.objects.filter(
            pk=listing_id, status=Listing.Status.ACTIVE, expires_at__gt=now
        ).update(status=Listing.Status.PENDING, updated_at=now)
        == 1
    )


def _check_purchase_limit(*, buyer: User, event_id: int, listing_id: int) -> None:
    # Lock the buyer's row so that two purchases by the same buyer at once
    # cannot both pass the count below (the scalper's parallel checkout); the
    # waiting list takes the same lock to offer them a ticket.
    fan_lock(buyer.pk)
    # Their live purchases for the event, plus the tickets offered to them from
    # the waiting list, except the one being bought (accepting its offer turns
    # it into this purchase): counted together, in one query.
    purchases = (
        Transaction.objects.filter(
            buyer=buyer, listing__ticket__event_id=event_id, status__in=LIVE_STATUSES
        )
        .order_by()
        .values_list("pk")
    )
    # Unordered on both sides: SQLite (the embedded run) refuses an ORDER BY
    # inside a UNION, and a count needs none.
    offers = (
        fan_open_offers(fan_id=buyer.pk, event_id=event_id)
        .exclude(listing_id=listing_id)
        .order_by()
        .values_list("pk")
    )
    held = purchases.union(offers, all=True).count()
    if held >= settings.MAX_TICKETS_PER_EVENT:
        raise ValidationFailed(
            ngettext(
                "You can buy at most %(limit)s ticket for one event.",
                "You can buy at most %(limit)s tickets for one event.",
                settings.MAX_TICKETS_PER_EVENT,
            )
            % {"limit": settings.MAX_TICKETS_PER_EVENT},
            details={
                "field": "listing_id",
                "reason": "PURCHASE_LIMIT_REACHED",
                "limit": settings.MAX_TICKETS_PER_EVENT,
            },
        )


def _listing_get(listing_id: int) -> Listing | None:
    return Listing.objects.select_related("ticket__event").filter(pk=listing_id).first()


def _listing_for_sale(*, buyer: User, listing: Listing | None, now) -> Listing:
    """`listing` (as _listing_get read it), if `buyer` may try to buy it now:
    NotFound (None), PermissionDenied (blocked account, own listing),
    ListingExpired, or TicketNotAvailable when someone else holds it already."""
    if listing is None:
        raise NotFound(_("Listing not found."))
    if not user_can_trade(user=buyer):
        raise PermissionDenied(_("Your account cannot buy tickets at the moment."))
    if listing.seller_id == buyer.pk:
        raise PermissionDenied(
            _("You cannot buy your own listing."), details={"reason": "OWN_LISTING"}
        )
    event = listing.ticket.event
    if not event_is_on_sale(event=event, now=now) or listing.expires_at <= now:
        if listing.status in Listing.OPEN_STATUSES:
            raise ListingExpired(_("This listing has ended: the event is no longer on sale."))
        raise TicketNotAvailable()
    return listing


def _reserve(*, buyer: User, listing: Listing, payment_method: str, ip_address) -> Transaction:
    """Reserve `listing` (as read by _listing_for_sale) for `buyer` and open the
    transaction, in one database transaction: the buyer's lock, one count for
    the purchase limit, the conditional UPDATE that only one buyer can win, the
    ticket, the transaction and its three audit rows (one INSERT)."""
    now = timezone.now()
    event = listing.ticket.event

    with transaction.atomic(durable=True):
        _check_purchase_limit(buyer=buyer, event_id=event.pk, listing_id=listing.pk)
        offer = None
        if not _listing_reserve(listing_id=listing.pk, now=now):
            # Held for this buyer from the waiting list: buying it accepts the offer.
            offer = waitlist_offer_accept(
                fan=buyer, listing_id=listing.pk, now=now, ip_address=ip_address
            )
            if offer is None:
                raise TicketNotAvailable(_("Someone else has just bought or reserved this ticket."))
        catalogue_changed(event_id=event.pk)
        Ticket.objects.filter(pk=listing.ticket_id).update(
            status=Ticket.Status.RESERVED, updated_at=now
        )
        breakdown = fee_breakdown(
            price=listing.price,
            face_value=listing.ticket.face_value,
            category=event.category,
            country=event.country,
            currency=event.currency,
        )
        txn = Transaction.objects.create(
            listing=listing,
            buyer=buyer,
            seller_id=listing.seller_id,
            final_price=breakdown.buyer_total,
            platform_fee=breakdown.platform_fee,
            seller_payout=breakdown.seller_payout,
            currency=event.currency,
            payment_method=payment_method,
            reserved_until=now + datetime.timedelta(minutes=settings.RESERVATION_MINUTES),
            waitlist_offer=offer,
        )
        audit_log_write(
            audit_entry(
                actor=buyer,
                action=AuditAction.TRANSACTION_CREATED,
                entity=txn,
                changes={
                    "listing_id": listing.pk,
                    "final_price": money_str(txn.final_price),
                    "platform_fee": money_str(txn.platform_fee),
                    "seller_payout": money_str(txn.seller_payout),
                    "reserved_until": txn.reserved_until.isoformat(),
                    "waitlist_offer_id": offer.pk if offer else None,
                },
                ip_address=ip_address,
            ),
            audit_status_entry(
                actor=buyer,
                action=AuditAction.LISTING_RESERVED,
                entity=listing,
                old=Listing.Status.PENDING if offer else Listing.Status.ACTIVE,
                new=Listing.Status.PENDING,
                ip_address=ip_address,
            ),
            audit_status_entry(
                actor=buyer,
                action=AuditAction.TICKET_RESERVED,
                entity=listing.ticket,
                old=Ticket.Status.LISTED,
                new=Ticket.Status.RESERVED,
                ip_address=ip_address,
            ),
        )
    return txn


def _lapsed_reservation_release(*, listing_id: int) -> None:
    """A reservation whose time is up no longer holds the listing: release it
    now, as the periodic job would within a minute, so that the next buyer (or
    the same one, trying again) is not refused meanwhile."""
    lapsed = (
        Transaction.objects.filter(
            listing_id=listing_id,
            status=Transaction.Status.PENDING_PAYMENT,
            reserved_until__lte=timezone.now(),
        )
        .values_list("pk", flat=True)
        .first()
    )
    if lapsed is not None:
        reservation_release_expired(transaction_id=lapsed)


def _offered_to(buyer: User, listing: Listing) -> bool:
    """Whether the waiting list holds `listing` for `buyer` right now."""
    offer = listing_offered_to(listing_id=listing.pk, fan=buyer)
    return offer_is_open(offer, now=timezone.now())


@metrics.purchase_counted
def transaction_purchase(
    *,
    buyer: User,
    listing_id: int,
    payment_method: str = "card",
    payment_method_id: str = "",
    ip_address=None,
) -> Purchase:
    """Reserve `listing_id` for `buyer` and open its payment with Stripe.

    Without `payment_method_id` the transaction waits (pending_payment) for the
    buyer's card on the checkout page, for RESERVATION_MINUTES. With it, the
    card is charged at once and the transaction is paid when Stripe says so.

    Raises NotFound, PermissionDenied (account blocked, own listing),
    ListingExpired, TicketNotAvailable (someone else reserved or bought it),
    ValidationFailed (purchase limit for the event), PaymentFailed (declined)
    or ServiceUnavailable (Stripe unreachable). On the last two the listing
    is on sale again and the transaction cancelled before the error is raised,
    unless Stripe's webhook reported the payment meanwhile (Stripe charged the
    card, its answer to us was lost): then the paid purchase is returned.
    """
    if payment_method_id:
        payment_method_format_check(payment_method_id=payment_method_id)
    listing = _listing_get(listing_id)
    if listing is not None and listing.status != Listing.Status.ACTIVE:
        # Not on open sale: a reservation whose time is up, or a waiting-list
        # offer whose time is up, may still hold it. Both are passed on now,
        # then the listing is read again. (A listing on open sale has neither.)
        _lapsed_reservation_release(listing_id=listing_id)
        waitlist_due_check(listing_id=listing_id)
        listing = _listing_get(listing_id)
    listing = _listing_for_sale(buyer=buyer, listing=listing, now=timezone.now())
    # Someone else holds it: 409 at once, without a transaction, and without a
    # call to Stripe (whose rate limit a rush would otherwise spend).
    if listing.status != Listing.Status.ACTIVE and not _offered_to(buyer, listing):
        raise TicketNotAvailable(_("Someone else has just bought or reserved this ticket."))
    if payment_method_id:
        # Stripe is asked about the card only by a buyer who may still win the ticket.
        gateway.payment_method_check(payment_method_id=payment_method_id)
    txn = _reserve(
        buyer=buyer, listing=listing, payment_method=payment_method, ip_address=ip_address
    )
    try:
        intent = gateway.payment_intent_create(
            transaction_id=txn.pk,
            amount=txn.final_price,
            currency=txn.currency,
            payment_method_id=payment_method_id,
        )
    except DomainError as exc:
        released = transaction_release(
            transaction_id=txn.pk,
            reason=exc.code.lower(),
            payment_failed=exc.code == "PAYMENT_FAILED",
            actor=buyer,
            ip_address=ip_address,
        )
        if not released:
            # Stripe charged the card and its webhook paid the transaction while
            # its answer to us was lost (a timeout): the purchase succeeded.
            txn = Transaction.objects.get(pk=txn.pk)
            if txn.status == Transaction.Status.PAID:
                return Purchase(transaction=txn, client_secret="")
        raise
    if payment_method_id:
        Transaction.objects.filter(pk=txn.pk).update(payment_attempts=1)
    return _outcome(txn.pk, intent, actor=buyer)


def _outcome(transaction_id: int, intent: gateway.PaymentIntentInfo, *, actor) -> Purchase:
    """Apply Stripe's answer; a refused card raises PaymentFailed (the listing
    is back on sale), a failed authentication keeps the reservation."""
    txn = transaction_apply_intent(transaction_id=transaction_id, intent=intent, actor=actor)
    if txn.status == Transaction.Status.CANCELLED:
        raise PaymentFailed(intent.failure_message or _("Your card was declined."))
    next_action = intent.next_action if intent.status == "requires_action" else None
    return Purchase(transaction=txn, client_secret=intent.client_secret, next_action=next_action)


def _attempt_claim(*, txn: Transaction, buyer, ip_address) -> int:
    """Number this payment attempt; after PAYMENT_ATTEMPTS_MAX the reservation
    ends (cards tried one after another on one ticket are a fraud pattern)."""
    with transaction.atomic():
        moved = Transaction.objects.filter(
            pk=txn.pk,
            status=Transaction.Status.PENDING_PAYMENT,
            payment_attempts__lt=settings.PAYMENT_ATTEMPTS_MAX,
        ).update(payment_attempts=F("payment_attempts") + 1, updated_at=timezone.now())
        if moved == 1:
            return Transaction.objects.values_list("payment_attempts", flat=True).get(pk=txn.pk)
    transaction_release(
        transaction_id=txn.pk,
        reason="too_many_attempts",
        payment_failed=True,
        actor=buyer,
        ip_address=ip_address,
    )
    raise PaymentFailed(
        _(
            "Too many payment attempts (%(limit)s) for this reservation: the ticket went back "
            "on sale. Nothing was charged."
        )
        % {"limit": settings.PAYMENT_ATTEMPTS_MAX},
        details={"reason": "too_many_attempts", "limit": settings.PAYMENT_ATTEMPTS_MAX},
    )


def transaction_pay(
    *, buyer: User, transaction_id: int, payment_method_id: str, ip_address=None
) -> Purchase:
    """Charge the buyer's card for a reserved transaction (server-side confirmation).

    A card whose bank asks for authentication leaves the transaction waiting,
    with payment_status requires_action and Stripe's next action in the
    result; the buyer may pay again (another card, or the same after a failed
    authentication) while the reservation lasts.

    Raises ValidationFailed (a malformed or unknown payment method: nothing
    happens), NotFound (not the buyer's), PermissionDenied (its seller),
    TicketNotAvailable (no longer awaiting payment, or its reservation has
    expired: reason RESERVATION_EXPIRED, nothing charged), PaymentFailed
    (declined, or too many attempts: the reservation is released) or
    ServiceUnavailable (Stripe unreachable: the reservation stays until it expires).
    """
    payment_method_validate(payment_method_id=payment_method_id)
    txn = transaction_get_for_buyer(user=buyer, transaction_id=transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT or not txn.payment_id:
        raise TicketNotAvailable(_("This purchase is no longer waiting for payment."))
    if txn.reserved_until is not None and txn.reserved_until <= timezone.now():
        # The periodic job is about to put the ticket back on sale: charging
        # now would take money for a ticket someone else may buy.
        raise TicketNotAvailable(
            _("Your reservation has expired and the ticket is going back on sale."),
            details={"reason": "RESERVATION_EXPIRED"},
        )
    attempt = _attempt_claim(txn=txn, buyer=buyer, ip_address=ip_address)
    try:
        intent = gateway.payment_intent_confirm(
            transaction_id=txn.pk,
            attempt=attempt,
            payment_intent_id=txn.payment_id,
            payment_method_id=payment_method_id,
        )
    except PaymentFailed as exc:
        if exc.details.get("reason") == "payment_intent_unexpected_state":
            # Stripe refuses to confirm a payment that is no longer waiting: an
            # earlier attempt (a double tap) paid it, or it was cancelled.
            intent = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id)
            if intent.status == "succeeded":
                return _outcome(txn.pk, intent, actor=buyer)
        transaction_release(
            transaction_id=txn.pk,
            reason="payment_failed",
            payment_failed=True,
            actor=buyer,
            ip_address=ip_address,
        )
        raise exc
    return _outcome(txn.pk, intent, actor=buyer)


def transaction_abandon(*, buyer: User, transaction_id: int, ip_address=None) -> Transaction:
    """The buyer gives up a reservation: the ticket goes back on sale at once and
    its payment is cancelled at Stripe. Raises NotFound, PermissionDenied (its
    seller) or TicketNotAvailable (no longer awaiting payment)."""
    txn = transaction_get_for_buyer(user=buyer, transaction_id=transaction_id)
    released = transaction_release(
        transaction_id=txn.pk, reason="abandoned", actor=buyer, ip_address=ip_address
    )
    if not released:
        raise TicketNotAvailable(_("This purchase is no longer waiting for payment."))
    return Transaction.objects.get(pk=txn.pk)
