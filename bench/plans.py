"""What PostgreSQL does for the common searches at full size: EXPLAIN ANALYZE of
the selectors' own queries, and any sequential scan of the big tables."""

import datetime

from django.db import connection
from django.utils import timezone

BIG_TABLES = {"events", "tickets", "listings", "transactions"}


def searches(event_id: int) -> dict:
    """name -> (queryset of one page, the API URL that runs the same search)."""
    from events.models import Event
    from events.selectors import event_list_upcoming, event_search
    from listings.selectors import listing_list_for_event, listing_search

    today = timezone.localdate()
    month = (today + datetime.timedelta(days=30)).isoformat()
    event = Event.objects.get(pk=event_id)
    return {
        "events: upcoming (home)": (event_list_upcoming(limit=24), None),
        "events: text search": (event_search(q="concert")[:20], "/api/v1/events?q=concert"),
        "events: category and city": (
            event_search(category="sports", city="Dublin")[:20],
            "/api/v1/events?category=sports&city=Dublin",
        ),
        "listings: all, cheapest first": (listing_search()[:20], "/api/v1/listings"),
        "listings: one event": (
            listing_search(event_id=event_id)[:20],
            f"/api/v1/listings?event_id={event_id}",
        ),
        "listings: category and price range": (
            listing_search(category="concert", min_price=50, max_price=80)[:20],
            "/api/v1/listings?category=concert&min_price=50&max_price=80",
        ),
        "listings: city, soonest first": (
            listing_search(city="Dublin", ordering="date")[:20],
            "/api/v1/listings?city=Dublin&ordering=date",
        ),
        "listings: next 30 days, dearest first": (
            listing_search(date_to=month, ordering="-price")[:20],
            f"/api/v1/listings?date_to={month}&ordering=-price",
        ),
        "listings: deepest page served (10,000th result)": (
            listing_search()[9980:10000],
            "/api/v1/listings?page=500&limit=20",
        ),
        "event page: its tickets": (listing_list_for_event(event=event)[:50], None),
    }


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def explain(queryset) -> dict:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
    top = document[0]
    scans = sorted(
        {
            node["Relation Name"]
            for node in _nodes(top["Plan"])
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
        }
    )
    return {"execution_ms": round(top["Execution Time"], 2), "seq_scans_on_big_tables": scans}


def explain_all(event_id: int) -> dict:
    return {name: explain(queryset) for name, (queryset, _) in searches(event_id).items()}


def search_urls(event_id: int) -> dict:
    return {name: url for name, (_, url) in searches(event_id).items() if url}
