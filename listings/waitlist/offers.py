"""Offers: a listing of an event with fans waiting goes to the first matching
fan, held for them, before anyone else may see it (ARCHITECTURE.md, rule 13).

A listing held for the waiting list is `pending` (as when a buyer reserves
it) and has exactly one held or open WaitlistOffer:
- HELD, no fan yet: just listed or released, or waiting for a raffle's draw;
- OPEN, offered to one fan until `expires_at`.
Passing on turns the HELD offer into an OPEN one for the next matching fan; an
OPEN offer declined, let lapse or withdrawn leaves a new HELD one behind. With
nobody left to offer it to (and no raffle to wait for) the listing goes on
sale for everyone.

Locks, always in this order, so no two of these steps wait for each other:
the fan's account row (the same lock as the purchase limit's), their entry,
then the offer, then the listing. Each step is one conditional UPDATE on the
offer's state, so two steps racing on one offer (an accept at the instant it
expires, two workers passing one listing on) change it once.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from events.selectors import event_is_on_sale
from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.money import money_str
from marketplace.core.versions import catalogue_changed
from messaging.models import Notification
from messaging.services import notification_create
from tickets.models import Ticket

from ..models import Listing, WaitlistEntry, WaitlistOffer
from ..selectors import ListingLookup, listing_lookup
from .selectors import (
    fan_holdings,
    listing_hold,
    matching_entries,
    offer_is_open,
    undrawn_raffle,
    waitlist_offer_for_fan,
)
from .windows import offer_expires_at

logger = logging.getLogger(__name__)

# Candidates read at a time while looking for the next fan.
CANDIDATES_BATCH = 50


def micros(moment: datetime.datetime) -> int:
    """A place in line: microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)


def fan_lock(fan_id: int) -> None:
    """Lock the fan's account row: offers to a fan and their purchases count
    their tickets under this one lock (payments.services.purchase takes it too)."""
    User.objects.select_for_update().filter(pk=fan_id).values_list("pk").get()


# --- holding a listing for the waiting list --------------------------------------------


def listing_hold_for_waitlist(*, listing: Listing, now, actor=None, ip_address=None) -> bool:
    """Inside the caller's transaction (a listing created, a reservation
    released): if fans wait for the listing's event, or a raffle of it is open,
    take the listing off public sale (pending) with a HELD offer, and pass it
    on to the first matching fan once the transaction commits. Returns True
    when it holds the listing; False (nothing changed) otherwise."""
    event_id = listing.ticket.event_id
    if not event_is_on_sale(event=listing.ticket.event, now=now):
        return False
    raffle = undrawn_raffle(event_id=event_id)
    if (
        raffle is None
        and not WaitlistEntry.objects.filter(
            event_id=event_id, state=WaitlistEntry.State.WAITING
        ).exists()
    ):
        return False
    held = Listing.objects.filter(pk=listing.pk, status=Listing.Status.ACTIVE).update(
        status=Listing.Status.PENDING, updated_at=now
    )
    if held != 1:
        return False
    catalogue_changed(event_id=event_id)
    offer = WaitlistOffer.objects.create(
        listing_id=listing.pk, state=WaitlistOffer.State.HELD, expires_at=now
    )
    audit_status_change(
        actor=actor,
        action=AuditAction.WAITLIST_HELD,
        entity=listing,
        old=Listing.Status.ACTIVE,
        new=Listing.Status.PENDING,
        offer_id=offer.pk,
        ip_address=ip_address,
    )
    listing.status = Listing.Status.PENDING
    pass_on_after_commit(listing.pk)
    return True


def _held_again(*, offer: WaitlistOffer, reason: str, now, actor=None, ip_address=None):
    """The HELD offer an open one leaves behind when it ends (same transaction),
    and the audit row of the ticket passed on to the next fan."""
    held = WaitlistOffer.objects.create(
        listing_id=offer.listing_id, state=WaitlistOffer.State.HELD, expires_at=now
    )
    audit_log_record(
        actor=actor,
        action=AuditAction.WAITLIST_PASSED_ON,
        entity=Listing(pk=offer.listing_id),
        changes={"from_offer_id": offer.pk, "held_offer_id": held.pk, "reason": reason},
        ip_address=ip_address,
    )
    return held


def _offer_audit(
    action: str, offer: WaitlistOffer, *, old, new, actor=None, ip_address=None, **changes
) -> None:
    """The audit row of an offer's change of state (with its listing)."""
    audit_log_record(
        actor=actor,
        action=action,
        entity=offer,
        changes={"state": {"from": old, "to": new}, "listing_id": offer.listing_id, **changes},
        ip_address=ip_address,
    )


def _offer_ended(
    offer: WaitlistOffer,
    *,
    new,
    action,
    passed_because,
    now,
    actor=None,
    ip_address=None,
    **changes,
) -> WaitlistOffer:
    """An open offer has ended (expired, declined, withdrawn): its audit row, and
    the HELD offer it leaves behind for the next fan (audited as passed on)."""
    held = _held_again(
        offer=offer, reason=passed_because, now=now, actor=actor, ip_address=ip_address
    )
    _offer_audit(
        action,
        offer,
        old=WaitlistOffer.State.OPEN,
        new=new,
        actor=actor,
        ip_address=ip_address,
        passed_to_offer_id=held.pk,
        **changes,
    )
    return held


def pass_on_after_commit(listing_id: int) -> None:
    """Pass the listing on once the caller's transaction commits; a failure is
    logged and left to the periodic job (waitlist_offers_due)."""

    def waitlist_pass_on_committed():
        waitlist_pass_on(listing_id=listing_id)

    transaction.on_commit(waitlist_pass_on_committed, robust=True)


# --- passing a held listing on ---------------------------------------------------------


def waitlist_pass_on(*, listing_id: int) -> WaitlistOffer | None:
    """Offer the held listing to the next matching fan; with none, put it on sale
    for everyone (or keep it for a raffle's draw). An open offer whose time is
    up is ended first (expired, one more lapse for its fan). Safe to run any
    number of times at once: returns the open offer it made or found, or None."""
    now = timezone.now()
    hold = listing_hold(listing_id=listing_id)
    if hold is None:
        return None
    if hold.state == WaitlistOffer.State.OPEN:
        if hold.expires_at > now or not offer_expire(offer=hold, now=now):
            return listing_hold(listing_id=listing_id)
        hold = listing_hold(listing_id=listing_id)
        if hold is None or hold.state != WaitlistOffer.State.HELD:
            return hold
    listing = Listing.objects.select_related("ticket__event").get(pk=listing_id)
    event = listing.ticket.event
    if listing.expires_at <= now or not event_is_on_sale(event=event, now=now):
        _release(hold=hold, listing=listing, now=now)
        return None
    after = None
    while batch := _candidates_after(listing, after):
        for entry in batch:
            outcome = _offer_to(hold=hold, entry=entry, listing=listing, now=now)
            if outcome is _TAKEN:
                return listing_hold(listing_id=listing_id)
            if outcome is not None:
                return outcome
        after = (batch[-1].position, batch[-1].pk)
    raffle = undrawn_raffle(event_id=event.pk)
    if raffle is not None:
        # Nobody drawn matches yet: the ticket waits for the raffle's draw.
        WaitlistOffer.objects.filter(pk=hold.pk, state=WaitlistOffer.State.HELD).update(
            expires_at=max(raffle.closes_at, now)
        )
        return None
    _release(hold=hold, listing=listing, now=now)
    return None


def _candidates_after(listing: Listing, after: tuple[int, int] | None) -> list[WaitlistEntry]:
    """The next CANDIDATES_BATCH matching entries in line after `after`
    ((position, id) of the last one tried; None: from the front)."""
    entries = matching_entries(listing=listing)
    if after is not None:
        position, pk = after
        entries = entries.filter(position__gte=position).exclude(position=position, id__lte=pk)
    return list(entries[:CANDIDATES_BATCH])


# _offer_to's answer when another worker passed the listing on first.
_TAKEN = object()


def _offer_to(*, hold: WaitlistOffer, entry: WaitlistEntry, listing: Listing, now):
    """Offer the held listing to `entry`'s fan if they may still hold one more of
    the event's tickets: the open offer; None to try the next fan; _TAKEN when
    the hold was passed on by someone else meanwhile."""
    event = listing.ticket.event
    with transaction.atomic():
        # Re-read under the locks: the fan may have left, or taken tickets since.
        entry = _entry_locked(entry_id=entry.pk, fan_id=entry.fan_id)
        if not _may_be_offered(entry=entry, event_id=event.pk):
            return None
        expires_at = offer_expires_at(
            starts_at=event.starts_at, listing_expires_at=listing.expires_at, now=now
        )
        if not _hold_claim(hold_id=hold.pk, entry=entry, expires_at=expires_at, now=now):
            return _TAKEN
        offer = WaitlistOffer.objects.select_related("entry__fan").get(pk=hold.pk)
        _offer_audit(
            AuditAction.WAITLIST_OFFERED,
            offer,
            old=WaitlistOffer.State.HELD,
            new=WaitlistOffer.State.OPEN,
            entry_id=entry.pk,
            fan_id=entry.fan_id,
            position=entry.position,
            expires_at=expires_at.isoformat(),
        )
        notification_create(
            user=entry.fan,
            type=Notification.Type.WAITLIST_OFFER,
            payload=_offer_payload(offer=offer, listing=listing, event=event),
        )
    return offer


def _entry_locked(*, entry_id: int, fan_id: int) -> WaitlistEntry:
    """The fan's entry, read again under the locks that offers to the fan, their
    purchases and their leaving all take, in this order: their account row
    (fan_lock), then the entry. What it says holds until the caller's
    transaction ends: meanwhile the fan can neither leave, nor buy, nor be
    offered another ticket by another worker."""
    fan_lock(fan_id)
    return WaitlistEntry.objects.select_for_update().select_related("fan").get(pk=entry_id)


def _may_be_offered(*, entry: WaitlistEntry, event_id: int) -> bool:
    """Whether the fan (their entry read under _entry_locked's locks) still
    waits, drawn if they joined in a raffle, and may hold one more of the
    event's tickets: their quantity, at most the purchase limit, counting
    their purchases and the offers open to them."""
    if entry.state != WaitlistEntry.State.WAITING or entry.position is None:
        return False
    limit = min(entry.quantity, settings.MAX_TICKETS_PER_EVENT)
    return fan_holdings(fan_id=entry.fan_id, event_id=event_id) < limit


def _hold_claim(*, hold_id: int, entry: WaitlistEntry, expires_at, now) -> bool:
    """Turn the HELD offer into an offer OPEN to `entry`'s fan. One conditional
    UPDATE: of two workers passing the same listing on at once, exactly one
    makes the offer (and sends its email); the other changes nothing and
    gets False (the partial unique index waitlist_offers_one_per_listing
    stands behind it)."""
    return (
        WaitlistOffer.objects.filter(pk=hold_id, state=WaitlistOffer.State.HELD).update(
            state=WaitlistOffer.State.OPEN, entry=entry, expires_at=expires_at, offered_at=now
        )
        == 1
    )


def _offer_payload(*, offer: WaitlistOffer, listing: Listing, event) -> dict:
    path = reverse("listings:waitlist-offer", args=[offer.pk])
    return {
        "offer_id": offer.pk,
        "listing_id": listing.pk,
        "event_id": event.pk,
        "event_name": event.name,
        "price": money_str(listing.price),
        "currency": event.currency,
        "expires_at": offer.expires_at.isoformat(),
        "expires_at_display": offer.expires_at.astimezone(event.starts_at.tzinfo).strftime(
            "%d %b %Y, %H:%M %Z"
        ),
        "url": f"{settings.SITE_URL}{path}",
        "path": path,
    }


def _release(*, hold: WaitlistOffer, listing: Listing, now) -> bool:
    """Nobody (left) to offer it to: the listing goes on sale for everyone, or
    ends if its time is up or its event is no longer on sale."""
    with transaction.atomic():
        released = WaitlistOffer.objects.filter(pk=hold.pk, state=WaitlistOffer.State.HELD).update(
            state=WaitlistOffer.State.RELEASED, decided_at=now
        )
        if released != 1:
            return False
        ended = listing.expires_at <= now
        status = Listing.Status.EXPIRED if ended else Listing.Status.ACTIVE
        Listing.objects.filter(pk=listing.pk, status=Listing.Status.PENDING).update(
            status=status, updated_at=now
        )
        catalogue_changed(event_id=listing.ticket.event_id)
        if ended:
            Ticket.objects.filter(pk=listing.ticket_id, status=Ticket.Status.LISTED).update(
                status=Ticket.Status.AVAILABLE, updated_at=now
            )
        audit_status_change(
            actor=None,
            action=AuditAction.WAITLIST_RELEASED,
            entity=listing,
            old=Listing.Status.PENDING,
            new=status,
            offer_id=hold.pk,
        )
    return True


# --- an offer ends ----------------------------------------------------------------------


def offer_expire(*, offer: WaitlistOffer, now) -> bool:
    """End an open offer whose time is up: one more lapse for its fan (moved to
    the back of the line at WAITLIST_LAPSES_TO_BACK), and the listing held
    again for the next fan. False when it was accepted, declined or ended
    meanwhile (the conditional UPDATE decides: never both bought and passed on)."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=offer.entry_id)
        if not _offer_expire_claim(offer_id=offer.pk, now=now):
            return False
        _offer_ended(
            offer,
            new=WaitlistOffer.State.EXPIRED,
            action=AuditAction.WAITLIST_OFFER_EXPIRED,
            passed_because="expired",
            now=now,
            fan_id=entry.fan_id,
        )
        _lapse(entry=entry, now=now)
    return True


def _offer_expire_claim(*, offer_id: int, now) -> bool:
    """End the offer if it is still open and its time is up at `now`. One
    conditional UPDATE, the twin of _offer_accept_claim's: an accept at the
    instant the offer expires and its expiry cannot both win."""
    return (
        WaitlistOffer.objects.filter(
            pk=offer_id, state=WaitlistOffer.State.OPEN, expires_at__lte=now
        ).update(state=WaitlistOffer.State.EXPIRED, decided_at=now)
        == 1
    )


def _lapse(*, entry: WaitlistEntry, now) -> None:
    lapses = entry.lapses + 1
    if lapses < settings.WAITLIST_LAPSES_TO_BACK:
        WaitlistEntry.objects.filter(pk=entry.pk).update(lapses=F("lapses") + 1, updated_at=now)
        return
    position = micros(now)
    WaitlistEntry.objects.filter(pk=entry.pk).update(lapses=0, position=position, updated_at=now)
    audit_log_record(
        actor=None,
        action=AuditAction.WAITLIST_MOVED_BACK,
        entity=entry,
        changes={"position": {"from": entry.position, "to": position}, "lapses": lapses},
    )


def waitlist_offer_decline(*, fan, offer: WaitlistOffer, ip_address=None) -> bool:
    """`fan` says "No thanks": the ticket goes to the next fan at once. Not a
    lapse. False when the offer was no longer open (accepted, ended), or its
    time was up: then it lapses (and is passed on) as it would have anyway."""
    now = timezone.now()
    with transaction.atomic():
        WaitlistEntry.objects.select_for_update().filter(pk=offer.entry_id, fan=fan).get()
        declined = WaitlistOffer.objects.filter(
            pk=offer.pk, entry__fan=fan, state=WaitlistOffer.State.OPEN, expires_at__gt=now
        ).update(state=WaitlistOffer.State.DECLINED, decided_at=now)
        if declined == 1:
            _offer_ended(
                offer,
                new=WaitlistOffer.State.DECLINED,
                action=AuditAction.WAITLIST_OFFER_DECLINED,
                passed_because="declined",
                now=now,
                actor=fan,
                ip_address=ip_address,
            )
            pass_on_after_commit(offer.listing_id)
    if declined != 1:
        waitlist_due_check(listing_id=offer.listing_id)
    return declined == 1


def offers_withdraw_for_entry(*, entry: WaitlistEntry, now, actor=None, ip_address=None) -> int:
    """The fan left the list: their open offers end and each ticket goes to the
    next fan once the caller's transaction commits. Runs inside the caller's
    transaction, with the entry locked."""
    withdrawn = 0
    for offer in WaitlistOffer.objects.filter(entry=entry, state=WaitlistOffer.State.OPEN):
        if (
            WaitlistOffer.objects.filter(pk=offer.pk, state=WaitlistOffer.State.OPEN).update(
                state=WaitlistOffer.State.WITHDRAWN, decided_at=now
            )
            != 1
        ):
            continue
        _offer_ended(
            offer,
            new=WaitlistOffer.State.WITHDRAWN,
            action=AuditAction.WAITLIST_OFFER_WITHDRAWN,
            passed_because="fan_left",
            now=now,
            actor=actor,
            ip_address=ip_address,
            reason="fan_left",
        )
        pass_on_after_commit(offer.listing_id)
        withdrawn += 1
    return withdrawn


def listing_hold_withdraw(*, listing_id: int, now, actor=None, reason: str) -> bool:
    """The listing comes off sale (its seller withdraws it, staff remove it, its
    event is cancelled) while held for the waiting list: the held or open offer
    ends and the listing is active again, for the caller to close in the same
    transaction. False when nothing held it."""
    hold = (
        WaitlistOffer.objects.filter(listing_id=listing_id, state__in=WaitlistOffer.HOLDING_STATES)
        .values_list("pk", "state")
        .first()
    )
    if hold is None:
        return False
    pk, state = hold
    ended = WaitlistOffer.objects.filter(pk=pk, state=state).update(
        state=WaitlistOffer.State.WITHDRAWN, decided_at=now
    )
    if ended != 1:
        return False
    Listing.objects.filter(pk=listing_id, status=Listing.Status.PENDING).update(
        status=Listing.Status.ACTIVE, updated_at=now
    )
    _offer_audit(
        AuditAction.WAITLIST_OFFER_WITHDRAWN,
        WaitlistOffer(pk=pk, listing_id=listing_id),
        old=state,
        new=WaitlistOffer.State.WITHDRAWN,
        actor=actor,
        reason=reason,
    )
    return True


# --- accepting: the fan buys -----------------------------------------------------------


def _offer_accept_claim(*, offer_id: int, now) -> bool:
    """Accept the offer if it is still open and its time is not up at `now`.
    One conditional UPDATE, the twin of _offer_expire_claim's: an accept at
    the instant the offer expires either wins here or the expiry wins there,
    never both (never a purchase and the ticket passed on)."""
    return (
        WaitlistOffer.objects.filter(
            pk=offer_id, state=WaitlistOffer.State.OPEN, expires_at__gt=now
        ).update(state=WaitlistOffer.State.ACCEPTED, decided_at=now)
        == 1
    )


def waitlist_offer_accept(*, fan, listing_id: int, now, ip_address=None) -> WaitlistOffer | None:
    """Inside the purchase's transaction, with the fan's account locked: turn the
    offer of `listing_id` open to `fan` into their reservation. The listing
    stays pending, now for the purchase. None when no offer of it is open to
    them, or its time is up (one conditional UPDATE: an accept at the instant
    it expires either wins here or the expiry wins, never both)."""
    offer_id = (
        WaitlistOffer.objects.filter(
            listing_id=listing_id, entry__fan=fan, state=WaitlistOffer.State.OPEN
        )
        .values_list("pk", flat=True)
        .first()
    )
    if offer_id is None:
        return None
    if not _offer_accept_claim(offer_id=offer_id, now=now):
        return None
    offer = WaitlistOffer.objects.get(pk=offer_id)
    _offer_audit(
        AuditAction.WAITLIST_OFFER_ACCEPTED,
        offer,
        old=WaitlistOffer.State.OPEN,
        new=WaitlistOffer.State.ACCEPTED,
        actor=fan,
        ip_address=ip_address,
    )
    return offer


def waitlist_offer_current(*, fan, offer_id) -> WaitlistOffer:
    """One of `fan`'s offers as it stands now: passed on first if its time is up,
    so neither a page nor an answer shows a dead offer as live. NotFound for
    anyone else's (the offer page and GET /waitlist/offers/:id)."""
    offer = waitlist_offer_for_fan(fan=fan, offer_id=offer_id)
    if offer.state == WaitlistOffer.State.OPEN and not offer_is_open(offer, now=timezone.now()):
        waitlist_due_check(listing_id=offer.listing_id)
        offer = waitlist_offer_for_fan(fan=fan, offer_id=offer_id)
    return offer


def listing_lookup_current(*, user, listing_id) -> ListingLookup:
    """listing_lookup after passing on the listing's waiting list hold if its time
    is up, so the listing page and GET /listings/:id say who may buy it now."""
    lookup = listing_lookup(user=user, listing_id=listing_id)
    if lookup.hold_due:
        waitlist_due_check(listing_id=lookup.listing.pk)
        lookup = listing_lookup(user=user, listing_id=listing_id)
    return lookup


def waitlist_due_check(*, listing_id: int) -> None:
    """On a request that touches the listing: an offer whose time is up, or a
    held listing due, is passed on now rather than by the periodic job."""
    now = timezone.now()
    if WaitlistOffer.objects.filter(
        listing_id=listing_id,
        state__in=WaitlistOffer.HOLDING_STATES,
        expires_at__lte=now,
    ).exists():
        waitlist_pass_on(listing_id=listing_id)


def waitlist_fan_offers_due(*, fan) -> int:
    """The fan's open offers whose time is up go to the next fan now, so a page
    or an answer about their waiting lists never shows a dead offer as live
    (the periodic job would, within a minute). Returns how many it passed on."""
    due = list(
        WaitlistOffer.objects.filter(
            entry__fan=fan, state=WaitlistOffer.State.OPEN, expires_at__lte=timezone.now()
        ).values_list("listing_id", flat=True)
    )
    for listing_id in due:
        waitlist_pass_on(listing_id=listing_id)
    return len(due)


def waitlist_offers_due(*, limit: int = 1000) -> int:
    """Periodic: pass on every held listing due and every open offer whose time
    is up. Returns how many listings it looked at."""
    due = list(
        WaitlistOffer.objects.filter(
            state__in=WaitlistOffer.HOLDING_STATES, expires_at__lte=timezone.now()
        )
        .order_by("expires_at", "id")
        .values_list("listing_id", flat=True)[:limit]
    )
    for listing_id in due:
        try:
            waitlist_pass_on(listing_id=listing_id)
        except Exception:  # one listing's failure must not stop the others
            logger.exception("Waiting list: listing %s not passed on, retried later.", listing_id)
    return len(due)
