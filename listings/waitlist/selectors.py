"""Reads of the waiting list that the pages, the API and the services share."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.selectors import BLOCKED_STATUSES
from marketplace.core.errors import NotFound
from marketplace.core.ids import as_id
from payments.models import Transaction

from ..models import Listing, WaitlistEntry, WaitlistOffer, WaitlistRaffle


def waitlist_count(*, event_id: int) -> int:
    """How many fans wait for tickets of the event (the event and sell pages)."""
    return WaitlistEntry.objects.filter(
        event_id=event_id, state=WaitlistEntry.State.WAITING
    ).count()


def waitlist_quantity_max() -> int:
    """The most tickets one entry may ask for: the purchase limit per event."""
    return settings.MAX_TICKETS_PER_EVENT


def waitlist_entry_for(*, fan, event_id: int) -> WaitlistEntry | None:
    """`fan`'s entry for the event, waiting or left; None if they never joined."""
    if fan is None or not fan.is_authenticated:
        return None
    return WaitlistEntry.objects.filter(event_id=event_id, fan=fan).first()


def fan_holdings(*, fan_id: int, event_id: int) -> int:
    """Tickets `fan` holds for the event: purchases that count (reserved, paid,
    completed, disputed) plus offers open to them. Two queries."""
    bought = Transaction.objects.filter(
        buyer_id=fan_id,
        listing__ticket__event_id=event_id,
        status__in=Transaction.HOLDING_STATUSES,
    ).count()
    return bought + fan_open_offers(fan_id=fan_id, event_id=event_id).count()


def fan_open_offers(*, fan_id: int, event_id: int) -> QuerySet[WaitlistOffer]:
    return WaitlistOffer.objects.filter(
        entry__fan_id=fan_id, entry__event_id=event_id, state=WaitlistOffer.State.OPEN
    )


def offer_is_open(offer: WaitlistOffer | None, *, now) -> bool:
    """Whether `offer` holds its ticket for its fan at `now`: open and its time
    not up (an open offer past its time is passed on at the next chance)."""
    return offer is not None and offer.state == WaitlistOffer.State.OPEN and offer.expires_at > now


def fan_live_offers(*, fan_id: int, event_id: int, now) -> QuerySet[WaitlistOffer]:
    """The offers of the event that hold a ticket for the fan at `now`."""
    return fan_open_offers(fan_id=fan_id, event_id=event_id).filter(expires_at__gt=now)


def listing_hold(*, listing_id: int) -> WaitlistOffer | None:
    """The held or open offer on a listing (at most one), with its fan's entry."""
    return (
        WaitlistOffer.objects.filter(listing_id=listing_id, state__in=WaitlistOffer.HOLDING_STATES)
        .select_related("entry")
        .first()
    )


def listing_offered_to(*, listing_id: int, fan) -> WaitlistOffer | None:
    """The offer of this listing open to `fan`, if any (it may have run out:
    compare expires_at)."""
    if fan is None or not fan.is_authenticated:
        return None
    return WaitlistOffer.objects.filter(
        listing_id=listing_id, state=WaitlistOffer.State.OPEN, entry__fan=fan
    ).first()


def undrawn_raffle(*, event_id: int) -> WaitlistRaffle | None:
    """The event's raffle window that is open or waiting for its draw."""
    return WaitlistRaffle.objects.filter(event_id=event_id, drawn_at__isnull=True).first()


def matching_entries(*, listing: Listing) -> QuerySet[WaitlistEntry]:
    """The entries the listing may be offered to, first in line first: waiting
    and drawn, for its event, its price at most their highest, its section and
    ticket type if they named one, not its seller, with a confirmed account,
    never offered this listing before. Whether they may hold one more ticket
    is checked under their lock (listings.waitlist.offers)."""
    ticket = listing.ticket
    entries = WaitlistEntry.objects.filter(
        event_id=ticket.event_id,
        state=WaitlistEntry.State.WAITING,
        position__isnull=False,
        fan__is_active=True,
        fan__email_verified=True,
    ).exclude(fan_id=listing.seller_id)
    entries = entries.exclude(fan__status__in=BLOCKED_STATUSES)
    entries = entries.filter(Q(max_price__isnull=True) | Q(max_price__gte=listing.price))
    entries = entries.filter(Q(section="") | Q(section__iexact=ticket.section or ""))
    entries = entries.filter(Q(ticket_type="") | Q(ticket_type__iexact=ticket.ticket_type or ""))
    offered_before = WaitlistOffer.objects.filter(listing_id=listing.pk, entry=OuterRef("pk"))
    entries = entries.exclude(Exists(offered_before))
    # Fans who hold their quantity already are skipped here rather than one by
    # one under their lock: in a rush the first fans in line hold offers, and
    # each later listing would otherwise walk past all of them.
    open_offers = (
        WaitlistOffer.objects.filter(entry=OuterRef("pk"), state=WaitlistOffer.State.OPEN)
        .order_by()
        .values("entry")
        .annotate(n=Count("pk"))
        .values("n")
    )
    bought = (
        Transaction.objects.filter(
            buyer=OuterRef("fan_id"),
            listing__ticket__event_id=ticket.event_id,
            status__in=Transaction.HOLDING_STATUSES,
        )
        .order_by()
        .values("buyer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        entries.annotate(held=Coalesce(Subquery(open_offers), 0) + Coalesce(Subquery(bought), 0))
        .filter(held__lt=F("quantity"))
        .order_by("position", "id")
    )


@dataclass(frozen=True)
class EntryView:
    """One entry on "My waiting lists": its state as the fan reads it and the
    offer open to them, if any."""

    entry: WaitlistEntry
    state: str  # waiting | in_raffle | offered | done | left
    offer: WaitlistOffer | None
    holdings: int


def waitlist_entries_for_fan(*, fan) -> list[EntryView]:
    """`fan`'s entries, newest first, each with its open offer and how many of
    its tickets the fan holds: three queries whatever the number of entries."""
    entries = list(
        WaitlistEntry.objects.filter(fan=fan)
        .select_related("event", "raffle")
        .order_by("-joined_at", "-id")
    )
    event_ids = [entry.event_id for entry in entries]
    offers = {
        offer.entry_id: offer
        for offer in WaitlistOffer.objects.filter(
            entry__fan=fan, state=WaitlistOffer.State.OPEN
        ).select_related("listing")
    }
    bought = dict(
        Transaction.objects.filter(
            buyer=fan,
            listing__ticket__event_id__in=event_ids,
            status__in=Transaction.HOLDING_STATUSES,
        )
        .values_list("listing__ticket__event_id")
        .annotate(n=Count("id"))
    )
    views = []
    for entry in entries:
        offer = offers.get(entry.pk)
        holdings = bought.get(entry.event_id, 0) + (1 if offer else 0)
        if entry.state == WaitlistEntry.State.LEFT:
            state = "left"
        elif offer is not None:
            state = "offered"
        elif holdings >= entry.quantity:
            state = "done"
        elif entry.position is None:
            state = "in_raffle"
        else:
            state = "waiting"
        views.append(EntryView(entry=entry, state=state, offer=offer, holdings=holdings))
    return views


def waitlist_offer_for_fan(*, fan, offer_id) -> WaitlistOffer:
    """One of `fan`'s offers (any state), with its listing, ticket and event;
    NotFound otherwise."""
    offer = (
        WaitlistOffer.objects.filter(pk=as_id(offer_id), entry__fan=fan)
        .select_related("listing__ticket__event", "listing__seller", "entry")
        .first()
        if fan is not None and fan.is_authenticated
        else None
    )
    if offer is None:
        raise NotFound(_("Offer not found."))
    return offer


def waitlist_places(*, entries) -> dict[int, int]:
    """{entry id: place in line (1 is next)} of the waiting, drawn entries among
    `entries`, in one query whatever their number; an entry waiting for its
    raffle's draw, or that has left, has none."""
    ids = [
        entry.pk
        for entry in entries
        if entry.state == WaitlistEntry.State.WAITING and entry.position is not None
    ]
    if not ids:
        return {}
    ahead = (
        WaitlistEntry.objects.filter(
            event_id=OuterRef("event_id"),
            state=WaitlistEntry.State.WAITING,
            position__isnull=False,
        )
        .filter(
            Q(position__lt=OuterRef("position"))
            | Q(position=OuterRef("position"), id__lt=OuterRef("pk"))
        )
        .order_by()
        .values("event_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        WaitlistEntry.objects.filter(pk__in=ids)
        .annotate(ahead=Coalesce(Subquery(ahead), 0))
        .values_list("pk", "ahead")
    )
    return {pk: count + 1 for pk, count in rows}


def waitlist_place(*, entry: WaitlistEntry) -> int | None:
    """The entry's place in line (1 is next), or None while it waits for its
    raffle's draw or has left."""
    return waitlist_places(entries=[entry]).get(entry.pk)


def listing_holds(*, listing_ids) -> dict[int, WaitlistOffer]:
    """{listing id: its held or open offer} for the listings among `listing_ids`
    held for the waiting list: one query."""
    ids = list(listing_ids)
    if not ids:
        return {}
    return {
        offer.listing_id: offer
        for offer in WaitlistOffer.objects.filter(
            listing_id__in=ids, state__in=WaitlistOffer.HOLDING_STATES
        )
    }


def waitlist_raffle_latest(*, event_id: int) -> WaitlistRaffle | None:
    """The event's most recent raffle window (open, waiting for its draw, or drawn)."""
    return WaitlistRaffle.objects.filter(event_id=event_id).order_by("-opens_at", "-id").first()


def raffle_state(raffle: WaitlistRaffle | None, *, now) -> str | None:
    """open (fans joining enter it), closed (waiting for its draw), drawn; None
    without a raffle. A new one may be opened only with none or a drawn one
    (listings.waitlist.raffles.waitlist_raffle_open, on an event on sale)."""
    if raffle is None:
        return None
    if raffle.drawn_at is not None:
        return "drawn"
    return "open" if raffle.closes_at > now else "closed"
