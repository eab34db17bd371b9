import datetime

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_can_trade
from listings.models import Listing
from marketplace.core.errors import NotFound
from marketplace.core.ids import as_id
from marketplace.core.ranges import date_range_check
from marketplace.core.search import folded_contains

from .models import Event

# Statuses anyone may see; a draft is seen only by those who may edit it.
PUBLIC_STATUSES = (Event.Status.PUBLISHED, Event.Status.CANCELLED, Event.Status.COMPLETED)


def _active_listings_of_event():
    # The listing's copy of its event (listings/event_copies.py): the count and the
    # lowest price are read from one index of the listings, without the tickets.
    return (
        Listing.objects.filter(event=OuterRef("pk"), status=Listing.Status.ACTIVE)
        .order_by()
        .values("event")
    )


def _with_listing_summary(events: QuerySet[Event]) -> QuerySet[Event]:
    """`events` annotated with listing_count and lowest_price of their active listings."""
    listings = _active_listings_of_event()
    return events.annotate(
        listing_count=Coalesce(Subquery(listings.annotate(n=Count("pk")).values("n")), 0),
        lowest_price=Subquery(listings.annotate(low=Min("price")).values("low")),
    )


def event_list_upcoming(*, limit: int | None = None) -> QuerySet[Event]:
    """Published events from today on, soonest first, each with the number of its
    active listings and their lowest price, in one query.

    Correlated subqueries rather than a GROUP BY: PostgreSQL computes them only
    for the rows the LIMIT keeps (bench/run.py: 4x faster at 1,000 events).
    """
    events = _with_listing_summary(
        Event.objects.filter(status=Event.Status.PUBLISHED, event_date__gte=timezone.localdate())
    ).order_by("event_date", "event_time", "id")
    return events[:limit] if limit else events


def event_text_filter(*, q: str) -> Q:
    """Events whose name, venue or city contains `q`, ignoring case and accents
    ("munchen" finds München): each column through its trigram index on
    encore_fold(column) on PostgreSQL (marketplace/core/search.py, migration 0007)."""
    return (
        folded_contains("name", q) | folded_contains("venue_name", q) | folded_contains("city", q)
    )


def event_search(
    *,
    q: str = "",
    category: str = "",
    city: str = "",
    country: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Event]:
    """Published events matching the filters, soonest first, with listing_count and
    lowest_price like event_list_upcoming. Empty filters do not filter; date_from
    defaults to today, so past events appear only when asked for; date_to is
    inclusive. `q` matches the name, venue or city, ignoring case and accents
    ("munchen" finds München).
    """
    date_range_check(date_from, date_to)
    events = Event.objects.filter(
        status=Event.Status.PUBLISHED, event_date__gte=date_from or timezone.localdate()
    )
    if date_to is not None:
        events = events.filter(event_date__lte=date_to)
    q = (q or "").strip()
    if q:
        events = events.filter(event_text_filter(q=q))
    if category:
        events = events.filter(category=category)
    if city := (city or "").strip():
        events = events.filter(city__iexact=city)
    if country := (country or "").strip():
        # Countries are stored as upper-case ISO codes: an exact match uses the index.
        events = events.filter(country=country.upper())
    return (
        _with_listing_summary(events)
        .select_related("organizer")
        .order_by("event_date", "event_time", "id")
    )


def _is_organizer_or_admin(*, user, event: Event) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return event.organizer_id == user.pk or user.role == User.Role.ADMIN or user.is_staff


def event_can_edit(*, user, event: Event) -> bool:
    """Whether `user` may change `event`: its organizer, an admin or staff
    (ARCHITECTURE.md, rule 10), with an account that is not suspended or banned."""
    return _is_organizer_or_admin(user=user, event=event) and user_can_trade(user=user)


def event_get_with_summary(*, event_id) -> Event | None:
    """The event `event_id` with listing_count and lowest_price and its organizer,
    whatever its status (None for an unknown id or one that is not a positive
    integer). Callers check who may see it with event_check_visible."""
    pk = as_id(event_id)
    if pk is None:
        return None
    return _with_listing_summary(Event.objects.filter(pk=pk)).select_related("organizer").first()


def event_check_visible(*, user, event: Event | None) -> Event:
    """`event` if `user` (maybe anonymous) may see it: published, cancelled and
    completed events to anyone, a draft only to its organizer, admins and staff.
    NotFound otherwise, and for no event."""
    if event is None or (
        event.status not in PUBLIC_STATUSES and not _is_organizer_or_admin(user=user, event=event)
    ):
        raise NotFound("Event not found.")
    return event


def event_get_visible(*, user, event_id) -> Event:
    """The event `event_id` as `user` (maybe anonymous) may see it, with
    listing_count and lowest_price (event_check_visible says who sees what).
    NotFound otherwise, and for an id that is not a positive integer.
    """
    return event_check_visible(user=user, event=event_get_with_summary(event_id=event_id))


def event_is_on_sale(*, event: Event, now=None) -> bool:
    """Whether tickets of `event` may be listed and bought: published and not started."""
    now = now or timezone.now()
    return event.status == Event.Status.PUBLISHED and event.starts_at > now


def event_sale_state(*, event: Event, now=None) -> str:
    """Where the event's sale stands: on_sale, cancelled, over (completed or
    started), or closed (not on sale for another reason: a draft)."""
    now = now or timezone.now()
    if event_is_on_sale(event=event, now=now):
        return "on_sale"
    if event.status == Event.Status.CANCELLED:
        return "cancelled"
    if event.status == Event.Status.COMPLETED or event.starts_at <= now:
        return "over"
    return "closed"


def event_list_for_organizer(*, organizer) -> QuerySet[Event]:
    """Every event `organizer` organises, whatever its status, latest date first,
    with listing_count and lowest_price, in one query."""
    return _with_listing_summary(Event.objects.filter(organizer=organizer)).order_by(
        "-event_date", "-event_time", "-id"
    )


def event_list_for_sitemap() -> QuerySet[Event]:
    """Every published event, past and upcoming, oldest first (a stable order
    for the sitemap's pages): its id and when it last changed."""
    published = Event.objects.filter(status=Event.Status.PUBLISHED)
    return published.only("pk", "updated_at").order_by("pk")
