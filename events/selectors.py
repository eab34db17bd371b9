from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from .models import Event


def event_list_upcoming(*, limit: int | None = None) -> QuerySet[Event]:
    """Published events from today on, soonest first, with their active listings' count
    and lowest price (one query)."""
    events = (
        Event.objects.filter(status=Event.Status.PUBLISHED, event_date__gte=timezone.localdate())
        .annotate(
            listing_count=Count("tickets__listings", filter=Q(tickets__listings__status="active")),
            lowest_price=Min(
                "tickets__listings__price", filter=Q(tickets__listings__status="active")
            ),
        )
        .order_by("event_date", "event_time", "id")
    )
    return events[:limit] if limit else events
