"""Every filter of the catalogue's searches has an index PostgreSQL can use.

The risk is an index that does not match the SQL Django writes (icontains is
UPPER(col) LIKE, iexact UPPER(col) = UPPER(...)): then every search scans the
table. Each filter the selectors apply is planned here on its own, with
sequential scans priced out (enable_seqscan off), and must use its index.
Whether PostgreSQL picks these (and the listings' indexes) for whole searches at full size is
measured by the benchmark (bench/plans.py, bench/results/summary.md).
"""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from events.models import Event
from events.selectors import event_search
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.selectors import SEARCH_ORDERINGS, listing_search
from listings.tests.factories import ListingFactory
from marketplace.core.pagination import cursor_for, keyset_after

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans"),
]


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def indexes_used(queryset) -> set[str]:
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
    nodes = list(_nodes(document[0]["Plan"]))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    return {n["Index Name"] for n in nodes if "Index Name" in n}


@pytest.fixture(autouse=True)
def _rows():
    today = timezone.localdate()
    EventFactory.create_batch(5, event_date=today + datetime.timedelta(days=3))
    ListingFactory.create_batch(3)
    for days in (3, 20, 40):
        event = EventFactory(event_date=today + datetime.timedelta(days=days))
        ListingFactory.create_batch(4, ticket__event=event)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events, tickets, listings")


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        (Q(name__icontains="rock"), "events_name_trgm_idx"),
        (Q(venue_name__icontains="arena"), "events_venue_name_trgm_idx"),
        (Q(city__icontains="dub"), "events_city_trgm_idx"),
        (Q(city__iexact="dublin"), "events_city_upper_idx"),
        (Q(country="IE"), "events_country_idx"),
        (
            Q(category="sports", event_date__gte=datetime.date(2026, 1, 1)),
            "events_category_date_idx",
        ),
    ],
)
def test_each_event_filter_has_its_index(lookup, index):
    assert index in indexes_used(Event.objects.filter(lookup))


def test_the_three_text_fields_are_searched_through_their_indexes_together():
    lookup = Q(name__icontains="rock") | Q(venue_name__icontains="rock") | Q(city__icontains="rock")

    assert indexes_used(Event.objects.filter(lookup)) == {
        "events_name_trgm_idx",
        "events_venue_name_trgm_idx",
        "events_city_trgm_idx",
    }


# --- the listing searches the benchmark runs (bench/plans.py) ---------------------------
#
# Each reads one index of the listings on sale (listings.models.Listing.Meta.indexes),
# in the order it sorts by, with the event's fields copied on the listing: no join
# before the LIMIT, no sort of every match.

SEARCHES = {
    "all, cheapest first": ({}, "listings_search_price_idx"),
    # The price index also gives these rows in order (filtering the category):
    # on a few rows either may win; at full size it is the category's (bench/).
    "category and price range": (
        {"category": "concert", "min_price": 50, "max_price": 80},
        {"listings_search_category_idx", "listings_search_price_idx"},
    ),
    "city, soonest first": ({"city": "dublin", "ordering": "date"}, "listings_search_city_idx"),
    "next 30 days, dearest first": (
        {"date_to": timezone.localdate() + datetime.timedelta(days=30), "ordering": "-price"},
        "listings_search_dearest_idx",
    ),
    "soonest first": ({"ordering": "date"}, "listings_search_date_idx"),
    "latest first": ({"ordering": "-date"}, "listings_search_latest_idx"),
}


def plan_nodes(queryset) -> list[dict]:
    """The plan with sequential scans, sorts and bitmap scans priced out: at full
    size a LIMIT makes PostgreSQL read an index in the search's order (bench/
    results/); on the few rows of a test it would rather sort them. A plan
    without a Sort exists only if an index gives the rows in that order."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
    return list(_nodes(document[0]["Plan"]))


def listings_indexes(nodes) -> set[str]:
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], _summary(nodes)
    return {n["Index Name"] for n in nodes if n.get("Index Name", "").startswith("listings")}


def _summary(nodes) -> list:
    keys = ("Node Type", "Relation Name", "Index Name", "Index Cond", "Filter")
    return [{key: n[key] for key in keys if key in n} for n in nodes]


def no_sort(nodes) -> bool:
    return not [n for n in nodes if n["Node Type"] in {"Sort", "Incremental Sort"}]


@pytest.mark.parametrize("name", list(SEARCHES))
def test_each_listing_search_reads_its_index_in_its_order(name):
    filters, index = SEARCHES[name]

    nodes = plan_nodes(listing_search(**filters)[:20])

    accepted = index if isinstance(index, set) else {index}
    assert len(listings_indexes(nodes)) == 1, _summary(nodes)
    assert listings_indexes(nodes) <= accepted, _summary(nodes)
    assert no_sort(nodes), _summary(nodes)


def test_one_events_listings_read_the_events_index():
    listing = Listing.objects.first()

    nodes = plan_nodes(listing_search(event_id=listing.event_id)[:20])

    assert listings_indexes(nodes) == {"listings_event_active_idx"}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_each_search_is_counted_from_the_listings_indexes_alone(name):
    filters, _ = SEARCHES[name]

    nodes = plan_nodes(listing_search(**filters).order_by().values("pk")[:10001])

    assert {n.get("Relation Name") for n in nodes} - {None} == {"listings"}
    assert listings_indexes(nodes), _summary(nodes)


def test_a_deep_page_finds_its_ids_in_the_index_without_joins():
    nodes = plan_nodes(listing_search().values_list("pk", flat=True)[9980:10000])

    assert {n.get("Relation Name") for n in nodes} - {None} == {"listings"}
    assert listings_indexes(nodes) == {"listings_search_price_idx"}


@pytest.mark.parametrize("ordering", ["price", "-price", "date", "-date"])
def test_a_page_by_cursor_starts_in_the_index_at_the_cursor(ordering):
    search = listing_search(ordering=ordering)
    cursor = cursor_for(search, search.first())

    nodes = plan_nodes(keyset_after(search, cursor)[:20])

    (scan,) = [n for n in nodes if n.get("Relation Name") == "listings"]
    first_column = SEARCH_ORDERINGS[ordering][0].lstrip("-")
    assert first_column in scan.get("Index Cond", ""), _summary(nodes)
    assert no_sort(nodes), _summary(nodes)


def test_events_count_and_lowest_price_read_the_listings_index():
    nodes = plan_nodes(event_search()[:20])

    assert "listings_event_active_idx" in {n.get("Index Name") for n in nodes}
    assert "tickets" not in {n.get("Relation Name") for n in nodes}
