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
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory

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
