"""Reads of listings that the pages and the API share."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import Event
from events.selectors import event_is_on_sale
from marketplace.core.errors import (
    DomainError,
    ListingExpired,
    NotFound,
    TicketNotAvailable,
    ValidationFailed,
)
from marketplace.core.ids import as_id
from marketplace.core.money import to_decimal
from marketplace.core.ranges import date_range_check, price_range_check

from .models import Listing, ListingReport, WaitlistOffer


def listing_list_for_event(*, event) -> QuerySet[Listing]:
    """An event's tickets on sale, cheapest first, with their ticket, event (for the
    fee breakdown) and seller."""
    return (
        Listing.objects.filter(ticket__event=event, status=Listing.Status.ACTIVE)
        .select_related("ticket__event", "seller__trader_declaration")
        .order_by("price", "id")
    )


def listing_list_for_seller(*, seller) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(seller=seller)
        .select_related("ticket__event")
        .order_by("-created_at", "-id")
    )


def listing_tickets_listed_since(*, seller, since: datetime.datetime) -> int:
    """How many different tickets `seller` put on sale from `since` on (any
    listing status: a ticket listed, cancelled and listed again counts once),
    for the trader threshold (accounts.traders)."""
    return (
        Listing.objects.filter(seller=seller, listed_at__gte=since)
        .values("ticket_id")
        .distinct()
        .count()
    )


def listing_get_active(*, listing_id: int) -> Listing:
    """A listing on sale; NotFound otherwise."""
    listing = (
        Listing.objects.filter(pk=listing_id, status=Listing.Status.ACTIVE)
        .select_related("ticket__event", "seller__trader_declaration")
        .first()
    )
    if listing is None:
        raise NotFound(_("Listing not found."))
    return listing


# ordering -> ORDER BY, on the event's fields copied on the listing
# (listings/event_copies.py): each order is one index of the listings on sale
# (Listing.Meta.indexes), so a page reads the first rows of its index. Each ends
# with "id" so pages never overlap or skip; within a day, events go by their start.
SEARCH_ORDERINGS = {
    "price": ("price", "event_date", "event_starts_at", "id"),
    "-price": ("-price", "event_date", "event_starts_at", "id"),
    "date": ("event_date", "event_starts_at", "price", "id"),
    "-date": ("-event_date", "-event_starts_at", "price", "id"),
}


def _price_bound(value, *, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except (TypeError, InvalidOperation) as exc:
        raise ValidationFailed(
            _("The price filter must be an amount, such as 50.00."),
            details={"field": field, "reason": "INVALID_NUMBER"},
        ) from exc


def listing_search(
    *,
    event_id: int | None = None,
    category: str = "",
    city: str = "",
    country: str = "",
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    ordering: str = "price",
) -> QuerySet[Listing]:
    """Tickets on sale for published events from today (or date_from) on.

    Filters on the event (id, category, city ignoring case, country, event_date
    range, both ends inclusive) and on the price (inclusive bounds); empty filters
    do not filter. A listing whose expiry has passed but that the periodic job has
    not yet expired is left out: it can no longer be bought. Ordered by
    `ordering`, one of SEARCH_ORDERINGS; with seller, ticket and event joined,
    so a page of results costs one query. Raises ValidationFailed for an unknown
    ordering, or an event id or price bound that is not a number.

    Filters and orders read the event's fields copied on the listing, never the
    events table: one index of the listings answers each search.
    """
    if ordering not in SEARCH_ORDERINGS:
        raise ValidationFailed(
            _("Unknown ordering."),
            details={
                "field": "ordering",
                "reason": "INVALID_CHOICE",
                "choices": [*SEARCH_ORDERINGS],
            },
        )
    min_price = _price_bound(min_price, field="min_price")
    max_price = _price_bound(max_price, field="max_price")
    price_range_check(min_price, max_price)
    date_range_check(date_from, date_to)
    listings = Listing.objects.filter(
        status=Listing.Status.ACTIVE,
        expires_at__gt=timezone.now(),
        event_status=Event.Status.PUBLISHED,
        event_date__gte=date_from or timezone.localdate(),
    )
    if event_id is not None and event_id != "":
        pk = as_id(event_id)
        if pk is None:
            raise ValidationFailed(
                _("The event filter must be an event's id."),
                details={"field": "event_id", "reason": "INVALID_NUMBER"},
            )
        listings = listings.filter(event_id=pk)
    if category:
        listings = listings.filter(event_category=category)
    if city := (city or "").strip():
        listings = listings.filter(event_city__iexact=city)
    if country := (country or "").strip():
        # Countries are stored as upper-case ISO codes.
        listings = listings.filter(event_country=country.upper())
    if date_to is not None:
        listings = listings.filter(event_date__lte=date_to)
    if min_price is not None:
        listings = listings.filter(price__gte=min_price)
    if max_price is not None:
        listings = listings.filter(price__lte=max_price)
    return listings.select_related("ticket__event", "seller__trader_declaration").order_by(
        *SEARCH_ORDERINGS[ordering]
    )


def listing_get_visible(*, user, listing_id) -> Listing:
    """The listing `listing_id` as `user` (maybe anonymous) may see it: an active
    listing to anyone, any other (reserved, sold, cancelled, expired) only to its
    seller and staff. NotFound otherwise, and for an id that is not a positive
    integer. (The listing page and GET /listings/<id> read listing_lookup instead,
    which tells anyone else why a listing is no longer on sale.)
    """
    pk = as_id(listing_id)
    listing = (
        Listing.objects.filter(pk=pk)
        .select_related("ticket__event", "seller__trader_declaration")
        .first()
        if pk is not None
        else None
    )
    if listing is None or (
        listing.status != Listing.Status.ACTIVE and not _is_seller_or_staff(user, listing)
    ):
        raise NotFound(_("Listing not found."))
    return listing


def _is_seller_or_staff(user, listing: Listing) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return listing.seller_id == user.pk or user.is_staff


# --- what an old or shared link to a listing finds -------------------------------------

# Why a listing is not on sale for a viewer, and what its page and the API say.
GONE_HEADLINES = {
    "sold": gettext_lazy("This ticket has been sold"),
    "withdrawn": gettext_lazy("This listing was withdrawn"),
    "ended": gettext_lazy("This listing has ended"),
    "reserved": gettext_lazy("This ticket is reserved by another fan right now"),
}
# The API's word for each reason (details.reason).
GONE_API_REASONS = {
    "sold": "SOLD",
    "withdrawn": "WITHDRAWN",
    "ended": "ENDED",
    "reserved": "RESERVED",
}
_GONE_BY_STATUS = {
    Listing.Status.SOLD: "sold",
    Listing.Status.CANCELLED: "withdrawn",
    Listing.Status.EXPIRED: "ended",
    Listing.Status.PENDING: "reserved",
}


@dataclass(frozen=True)
class ListingLookup:
    """What a viewer finds at a listing's address: the listing (with its ticket,
    event and seller) and, when it is not on sale for them, why (`gone`: sold,
    withdrawn, ended or reserved). None for a listing on sale, for the fan it is
    held for by the waiting list (`offer`), and always for its seller and staff,
    who see their listing whatever its status."""

    listing: Listing
    gone: str | None = None
    # The waiting list's offer of this listing open to the viewer, while it lasts
    # (its id and expires_at): the listing is held for them, so they see it on
    # sale and may buy it.
    offer: WaitlistOffer | None = None
    # The waiting list holds the listing past its time (an offer ran out): the
    # page passes it on (listings.waitlist.offers.waitlist_due_check) and looks again.
    hold_due: bool = False

    @property
    def headline(self) -> str:
        return str(GONE_HEADLINES.get(self.gone, ""))

    @property
    def is_final(self) -> bool:
        """Gone for good (sold, withdrawn, ended): 410. A reserved one may come back."""
        return self.gone is not None and self.gone != "reserved"

    def error(self) -> DomainError | None:
        """The API's answer for a listing gone for this viewer: 410 LISTING_EXPIRED
        (sold, withdrawn, ended) or 409 TICKET_NOT_AVAILABLE (reserved)."""
        if self.gone is None:
            return None
        details = {"reason": GONE_API_REASONS[self.gone], "event_id": self.listing.ticket.event_id}
        if self.gone == "reserved":
            return TicketNotAvailable(
                _(
                    "This ticket is reserved by another fan right now. If it comes back on "
                    "sale, fans on the event's waiting list get it first."
                ),
                details=details,
            )
        return ListingExpired(
            _("%(headline)s: it is no longer on sale.") % {"headline": self.headline},
            details=details,
        )


def _gone_reason(listing: Listing, *, now: datetime.datetime) -> str | None:
    if listing.status != Listing.Status.ACTIVE:
        return _GONE_BY_STATUS.get(listing.status, "ended")
    # Past its expiry, or its event no longer on sale, an active listing cannot be
    # bought (the purchase answers LISTING_EXPIRED) even before the periodic job
    # marks it expired or withdrawn.
    event = listing.ticket.event
    if listing.expires_at <= now or not event_is_on_sale(event=event, now=now):
        return "ended"
    return None


def _with_waitlist_hold(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Annotate each listing with its waiting list hold (the held or open offer,
    at most one): hold_id, hold_state, hold_fan_id, hold_expires_at; NULL without."""
    hold = WaitlistOffer.objects.filter(
        listing_id=OuterRef("pk"), state__in=WaitlistOffer.HOLDING_STATES
    )
    return listings.annotate(
        hold_id=Subquery(hold.values("pk")[:1]),
        hold_state=Subquery(hold.values("state")[:1]),
        hold_fan_id=Subquery(hold.values("entry__fan_id")[:1]),
        hold_expires_at=Subquery(hold.values("expires_at")[:1]),
    )


def listing_lookup(*, user, listing_id, now: datetime.datetime | None = None) -> ListingLookup:
    """The listing `listing_id` as `user` (maybe anonymous) finds it: its seller and
    staff see it whatever its status; so does the fan the waiting list offers it to,
    while the offer lasts (ListingLookup.offer); anyone else sees it on sale, or
    learns why it is not (ListingLookup.gone). One query. NotFound for a listing
    that never existed, and for an id that is not a positive integer.
    """
    pk = as_id(listing_id)
    listing = (
        _with_waitlist_hold(Listing.objects.filter(pk=pk))
        .select_related("ticket__event", "seller__trader_declaration")
        .first()
        if pk is not None
        else None
    )
    if listing is None:
        raise NotFound(_("Listing not found."))
    now = now or timezone.now()
    hold_due = listing.hold_id is not None and listing.hold_expires_at <= now
    if _is_seller_or_staff(user, listing):
        return ListingLookup(listing=listing, hold_due=hold_due)
    gone = _gone_reason(listing, now=now)
    if gone == "reserved" and not hold_due and _offered_to_viewer(user, listing):
        offer = WaitlistOffer(
            pk=listing.hold_id,
            listing_id=listing.pk,
            state=listing.hold_state,
            expires_at=listing.hold_expires_at,
        )
        return ListingLookup(listing=listing, offer=offer)
    return ListingLookup(listing=listing, gone=gone, hold_due=hold_due)


def _offered_to_viewer(user, listing: Listing) -> bool:
    """Whether the (pending) listing's open waiting list offer is `user`'s."""
    return (
        user is not None
        and user.is_authenticated
        and listing.hold_state == WaitlistOffer.State.OPEN
        and listing.hold_fan_id == user.pk
    )


# The other tickets a page about a gone listing offers.
OTHER_TICKETS_SHOWN = 6


def listing_list_others_on_sale(
    *, listing: Listing, limit: int = OTHER_TICKETS_SHOWN, now: datetime.datetime | None = None
) -> list[Listing]:
    """Up to `limit` tickets of `listing`'s event on sale now, cheapest first (one
    query, with each one's ticket, event and seller)."""
    return list(
        listing_list_for_event(event=listing.ticket.event)
        .exclude(pk=listing.pk)
        .filter(expires_at__gt=now or timezone.now())[:limit]
    )


def listing_event_id(*, listing_id: int) -> int | None:
    """The event of a listing, whatever its status (to send a buyer back to it)."""
    return Listing.objects.filter(pk=listing_id).values_list("ticket__event_id", flat=True).first()


def listing_reports_decided_for_seller(*, seller, listing_ids) -> dict:
    """{listing id: [decided reports, newest first]} of `seller`'s listings, for
    My listings (statements of reasons and the appeal form): one query."""
    reports: dict = {}
    for report in (
        ListingReport.objects.filter(listing_id__in=list(listing_ids), listing__seller=seller)
        .exclude(status=ListingReport.Status.OPEN)
        .order_by("-decided_at", "-id")
    ):
        reports.setdefault(report.listing_id, []).append(report)
    return reports


def listing_report_get_for_seller(*, seller, report_id) -> ListingReport:
    """A decided report on one of `seller`'s listings; NotFound otherwise."""
    report = (
        ListingReport.objects.select_related("listing")
        .filter(pk=as_id(report_id), listing__seller=seller)
        .exclude(status=ListingReport.Status.OPEN)
        .first()
    )
    if report is None:
        raise NotFound(_("Report not found."))
    return report
