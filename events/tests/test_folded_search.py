"""The events search ignores accents and case: "Les Miserables" finds "Les
Misérables", "munchen" finds "München", "CAFE" finds "Café"; on the site
(/events/?q=) and the API (GET /api/v1/events?q=), through the trigram indexes
on encore_fold(column) on PostgreSQL, and with the same fold on SQLite (the
embedded run)."""

import sqlite3

import pytest
from django.db import connection, connections
from django.db.utils import ConnectionHandler

from events.models import Event
from events.selectors import event_search, event_text_filter
from events.tests.factories import EventFactory
from events.tests.test_search_indexes import indexes_used
from marketplace.core.search import FOLD_FUNCTION, fold, register_sqlite_functions
from marketplace.testing import in_days

EVENTS_API = "/api/v1/events"

# needle -> the event it must find (by name)
NEEDLES = {
    "Les Miserables": "Les Misérables",
    "les misérables": "Les Misérables",
    "LES MISÉRABLES": "Les Misérables",
    "miserables": "Les Misérables",
    "munchen": "Oktoberfest Gala",  # the city
    "MÜNCHEN": "Oktoberfest Gala",
    "Munchen": "Oktoberfest Gala",
    "CAFE": "Jazz Night",  # the venue
    "café": "Jazz Night",
    "Cafe De Paris": "Jazz Night",
}


@pytest.fixture
def catalogue(db):
    EventFactory(name="Les Misérables", venue_name="Gaiety Theatre", city="Dublin")
    EventFactory(name="Oktoberfest Gala", venue_name="Olympiahalle", city="München", country="DE")
    EventFactory(name="Jazz Night", venue_name="Café de Paris", city="London", country="GB")
    EventFactory(name="Rock Anthems", venue_name="3Arena", city="Dublin")


def _names(queryset):
    return sorted(event.name for event in queryset)


@pytest.mark.parametrize(("needle", "found"), list(NEEDLES.items()))
def test_the_search_ignores_accents_and_case(catalogue, needle, found):
    assert _names(event_search(q=needle)) == [found]


@pytest.mark.parametrize(("needle", "found"), list(NEEDLES.items()))
def test_the_events_page_finds_the_event_whatever_the_accents(catalogue, client, needle, found):
    html = client.get("/events/", {"q": needle}).content.decode()

    assert html.count('class="event-card"') == 1
    assert found in html


@pytest.mark.parametrize(("needle", "found"), list(NEEDLES.items()))
def test_the_api_finds_the_event_whatever_the_accents(catalogue, api, needle, found):
    response = api.get(EVENTS_API, {"q": needle})

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["data"]] == [found]


def test_like_wildcards_in_the_search_are_plain_characters(catalogue):
    EventFactory(name="100% Hits")

    assert _names(event_search(q="100%")) == ["100% Hits"]
    assert _names(event_search(q="%")) == ["100% Hits"]
    assert _names(event_search(q="_")) == []


def test_a_word_with_accents_still_needs_its_letters(catalogue):
    assert _names(event_search(q="Miserablez")) == []
    assert _names(event_search(q="Munich")) == []


def test_the_fold_drops_accents_and_case():
    assert fold("Les Misérables") == "les miserables"
    assert fold("MÜNCHEN") == "munchen"
    assert fold("Café") == "cafe"
    assert fold("Straße") == "strasse"
    assert fold("Ærøskøbing Jazz") == "ærøskøbing jazz"  # letters, not accents: kept
    assert fold(None) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's encore_fold")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "folded"),
    [("Les Misérables", "les miserables"), ("MÜNCHEN", "munchen"), ("CAFÉ", "cafe")],
)
def test_postgresql_folds_as_the_python_fold_does(text, folded):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {FOLD_FUNCTION}(%s)", [text])
        assert cursor.fetchone() == (folded,) == (fold(text),)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_the_text_search_reads_the_three_fold_indexes(catalogue):
    EventFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events")

    # The search's own text filter, planned alone as the other filters are
    # (test_search_indexes.py): on a few rows the date index would win.
    used = indexes_used(Event.objects.filter(event_text_filter(q="munchen")))

    assert {
        "events_name_fold_trgm_idx",
        "events_venue_name_fold_trgm_idx",
        "events_city_fold_trgm_idx",
    } == used


# --- SQLite (the embedded run) --------------------------------------------------------

SQLITE = "sqlite-fold"


@pytest.fixture
def sqlite_db(django_db_blocker):
    """A Django connection to an in-memory SQLite database with the events table:
    set up as the embedded run's (the kernel's connection_created receiver)."""
    sqlite_settings = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    # The handler fills in Django's defaults (TIME_ZONE, OPTIONS...).
    settings_dict = ConnectionHandler(
        {"default": sqlite_settings, SQLITE: dict(sqlite_settings)}
    ).settings[SQLITE]
    connections.settings[SQLITE] = settings_dict
    with django_db_blocker.unblock():
        sqlite = connections[SQLITE]
        try:
            from accounts.models import User
            from listings.models import Listing

            with sqlite.schema_editor() as editor:
                for model in (User, Event, Listing):
                    editor.create_model(model)
            yield sqlite
        finally:
            sqlite.close()
            del connections[SQLITE]
            del connections.settings[SQLITE]


def test_sqlite_connections_have_the_fold_function(sqlite_db):
    with sqlite_db.cursor() as cursor:
        cursor.execute(f"SELECT {FOLD_FUNCTION}(%s)", ["Les Misérables"])
        assert cursor.fetchone() == ("les miserables",)


@pytest.mark.parametrize(("needle", "found"), list(NEEDLES.items()))
def test_the_search_ignores_accents_and_case_on_sqlite(sqlite_db, needle, found):
    from accounts.models import User

    organizer = User.objects.db_manager(SQLITE).create(email="org@example.com")
    for name, venue, city, country in (
        ("Les Misérables", "Gaiety Theatre", "Dublin", "IE"),
        ("Oktoberfest Gala", "Olympiahalle", "München", "DE"),
        ("Jazz Night", "Café de Paris", "London", "GB"),
        ("Rock Anthems", "3Arena", "Dublin", "IE"),
    ):
        Event.objects.db_manager(SQLITE).create(
            name=name,
            venue_name=venue,
            city=city,
            country=country,
            event_date=in_days(30),
            organizer=organizer,
            status=Event.Status.PUBLISHED,
        )

    assert _names(event_search(q=needle).using(SQLITE)) == [found]


def test_the_receiver_registers_on_sqlite_only():
    class Wrapper:
        vendor = "postgresql"
        connection = None  # touched only for SQLite

    register_sqlite_functions(sender=None, connection=Wrapper())

    raw = sqlite3.connect(":memory:")
    Wrapper.vendor, Wrapper.connection = "sqlite", raw
    register_sqlite_functions(sender=None, connection=Wrapper())
    assert raw.execute(f"SELECT {FOLD_FUNCTION}('CAFÉ')").fetchone() == ("cafe",)
