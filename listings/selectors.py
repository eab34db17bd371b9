"""Reads of listings that the pages and the API share."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils import timezone

from events.models import Event
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.ids import as_id
from marketplace.core.money import to_decimal
from marketplace.core.ranges import date_range_check, price_range_check

from .models import Listing, ListingReport


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
        raise NotFound("Listing not found.")
    return listing


# ordering -> ORDER BY; each ends with "id" so pages never overlap or skip.
SEARCH_ORDERINGS = {
    "price": ("price", "ticket__event__event_date", "ticket__event__event_time", "id"),
    "-price": ("-price", "ticket__event__event_date", "ticket__event__event_time", "id"),
    "date": ("ticket__event__event_date", "ticket__event__event_time", "price", "id"),
    "-date": ("-ticket__event__event_date", "-ticket__event__event_time", "price", "id"),
}


def _price_bound(value, *, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except (TypeError, InvalidOperation) as exc:
        raise ValidationFailed(
            "The price filter must be an amount, such as 50.00.",
            details={"field": field, "reason": "INVALID_NUMBER"},
        ) from exc


def listing_search(
    *,
    event_id: int | None = None,
    category: str = "",
    city: str = "",
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    ordering: str = "price",
) -> QuerySet[Listing]:
    """Tickets on sale for published events from today (or date_from) on.

    Filters on the event (id, category, city ignoring case, event_date range,
    both ends inclusive) and on the price (inclusive bounds); empty filters do
    not filter. A listing whose expiry has passed but that the periodic job has
    not yet expired is left out: it can no longer be bought. Ordered by
    `ordering`, one of SEARCH_ORDERINGS; with seller, ticket and event joined,
    so a page of results costs one query. Raises ValidationFailed for an unknown
    ordering, or an event id or price bound that is not a number.
    """
    if ordering not in SEARCH_ORDERINGS:
        raise ValidationFailed(
            "Unknown ordering.",
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
        ticket__event__status=Event.Status.PUBLISHED,
        ticket__event__event_date__gte=date_from or timezone.localdate(),
    )
    if event_id is not None and event_id != "":
        pk = as_id(event_id)
        if pk is None:
            raise ValidationFailed(
                "The event filter must be an event's id.",
                details={"field": "event_id", "reason": "INVALID_NUMBER"},
            )
        listings = listings.filter(ticket__event_id=pk)
    if category:
        listings = listings.filter(ticket__event__category=category)
    if city := (city or "").strip():
        listings = listings.filter(ticket__event__city__iexact=city)
    if date_to is not None:
        listings = listings.filter(ticket__event__event_date__lte=date_to)
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
    integer.
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
        raise NotFound("Listing not found.")
    return listing


def _is_seller_or_staff(user, listing: Listing) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return listing.seller_id == user.pk or user.is_staff


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
        raise NotFound("Report not found.")
    return report
