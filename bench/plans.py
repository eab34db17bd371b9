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
    from marketplace.core.pagination import cursor_for, keyset_after

    today = timezone.localdate()
    # The cursor a partner holds after walking 10,000 results (page 500's nextCursor).
    deep_row = listing_search()[9999:10000].first() or listing_search().last()
    deep_cursor = cursor_for(listing_search(), deep_row) if deep_row else ""
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
            # As the API reads a deep page: the ids from the index, then those rows.
            listing_search().values_list("pk", flat=True)[9980:10000],
            "/api/v1/listings?page=500&limit=20",
        ),
        "listings: deep page by cursor (after the 10,000th)": (
            keyset_after(listing_search(), deep_cursor)[:20],
            f"/api/v1/listings?limit=20&cursor={deep_cursor}",
        ),
        "event page: its tickets": (listing_list_for_event(event=event)[:50], None),
    }


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _run_explain(sql: str, params, options: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        return cursor.fetchall()


# The first lines of each plan: its top nodes, where the time goes.
PLAN_LINES = 40


def _count_sql(queryset) -> tuple[str, list]:
    """The count the API asks with each page (marketplace.core.pagination.bounded_count)."""
    from marketplace.core.pagination import max_results

    ids = queryset.order_by().values("pk")[: max_results() + 1]
    sql, params = ids.query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) AS counted", params  # noqa: S608 (Django's SQL)


def explain(queryset, *, counted=None) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of one page of a search: its time, the shared
    buffers it hit in memory and read from disk, the sequential scans of the big
    tables, and the plan as PostgreSQL prints it; with `counted` (the whole
    search), the time of the count the API asks with the page too."""
    sql, params = queryset.query.sql_with_params()
    ((document,),) = _run_explain(sql, params, "ANALYZE, BUFFERS, FORMAT JSON")
    top = document[0]
    plan = top["Plan"]
    scans = sorted(
        {
            node["Relation Name"]
            for node in _nodes(plan)
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
        }
    )
    text = [row[0] for row in _run_explain(sql, params, "ANALYZE, BUFFERS")]
    result = {
        "execution_ms": round(top["Execution Time"], 2),
        "planning_ms": round(top["Planning Time"], 2),
        "buffers": {
            "hit": plan.get("Shared Hit Blocks", 0),
            "read": plan.get("Shared Read Blocks", 0),
        },
        "seq_scans_on_big_tables": scans,
        "plan": text[:PLAN_LINES],
    }
    if counted is not None:
        count_sql, count_params = _count_sql(counted)
        ((count,),) = _run_explain(count_sql, count_params, "ANALYZE, BUFFERS, FORMAT JSON")
        result["count_ms"] = round(count[0]["Execution Time"], 2)
        result["count_buffers"] = {
            "hit": count[0]["Plan"].get("Shared Hit Blocks", 0),
            "read": count[0]["Plan"].get("Shared Read Blocks", 0),
        }
    return result


def explain_all(event_id: int) -> dict:
    return {
        name: explain(queryset, counted=_whole(queryset) if url else None)
        for name, (queryset, url) in searches(event_id).items()
    }


def _whole(queryset):
    """The search a page was cut from (the count reads it), None for a list the
    API does not page."""
    if queryset.query.low_mark == 0 and queryset.query.high_mark is None:
        return None
    whole = queryset.all()
    whole.query.clear_limits()
    return whole


def search_urls(event_id: int) -> dict:
    return {name: url for name, (_, url) in searches(event_id).items() if url}
