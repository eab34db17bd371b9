"""The buyer's calendar file of a purchase: GET next to the purchase page,
404 for anyone else (payments/calendar.py, events/calendar.py)."""

import datetime

import icalendar
import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.calendar import event_calendar
from events.tests.factories import EventFactory
from payments.models import Transaction
from payments.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def _url(txn):
    return reverse("payments:transaction-calendar", args=[txn.pk])


@pytest.fixture
def txn():
    return TransactionFactory(
        listing__ticket__event__name="Rosalía",
        listing__ticket__event__country="ES",
        listing__ticket__event__city="Madrid",
        listing__ticket__event__venue_name="WiZink Center",
        listing__ticket__event__location="Av. Felipe II",
        listing__ticket__event__time_zone="Europe/Madrid",
        listing__ticket__event__event_time=datetime.time(21, 30),
    )


def test_the_buyer_downloads_the_event_in_its_own_time_zone(client, txn):
    client.force_login(txn.buyer)

    response = client.get(_url(txn))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="encore-event-{txn.listing.ticket.event.pk}.ics"'
    )
    calendar = icalendar.Calendar.from_ical(response.content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Madrid"
    (entry,) = calendar.walk("VEVENT")
    event = txn.listing.ticket.event
    assert entry["DTSTART"].params["TZID"] == "Europe/Madrid"
    start = entry.decoded("DTSTART")
    assert (start.date(), start.time(), str(start.tzinfo)) == (
        event.event_date,
        datetime.time(21, 30),
        "Europe/Madrid",
    )
    assert entry.decoded("DTEND") > start
    assert str(entry["SUMMARY"]) == "Rosalía"
    assert str(entry["LOCATION"]) == "WiZink Center, Av. Felipe II, Madrid, ES"
    assert str(entry["URL"]).endswith(reverse("payments:transaction", args=[txn.pk]))
    assert f"#{txn.pk}" in str(entry["DESCRIPTION"])
    assert str(entry["UID"]) == f"event-{event.pk}-purchase-{txn.pk}@127.0.0.1"


def test_the_same_purchase_gives_the_same_uid_every_time(client, txn):
    client.force_login(txn.buyer)

    first, second = (
        icalendar.Calendar.from_ical(client.get(_url(txn)).content).walk("VEVENT")[0]["UID"]
        for _ in range(2)
    )

    assert first == second


@pytest.mark.parametrize("who", ["seller", "stranger", "staff"])
def test_anyone_but_the_buyer_gets_404(client, txn, who):
    user = {
        "seller": txn.seller,
        "stranger": UserFactory(),
        "staff": UserFactory(is_staff=True),
    }[who]
    client.force_login(user)

    assert client.get(_url(txn)).status_code == 404


@pytest.mark.parametrize(
    "status",
    [Transaction.Status.PENDING_PAYMENT, Transaction.Status.CANCELLED, Transaction.Status.REFUNDED],
)
def test_a_purchase_that_holds_no_ticket_has_no_calendar(client, txn, status):
    Transaction.objects.filter(pk=txn.pk).update(status=status)
    client.force_login(txn.buyer)

    assert client.get(_url(txn)).status_code == 404


def test_a_visitor_is_sent_to_log_in(client, txn):
    response = client.get(_url(txn))

    assert response.status_code == 302 and "login" in response["Location"]


def test_the_purchase_page_offers_the_calendar_to_the_buyer_only(client, txn):
    client.force_login(txn.buyer)
    assert _url(txn) in client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    client.force_login(txn.seller)
    assert (
        _url(txn) not in client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()
    )


def test_an_event_without_a_time_is_an_all_day_event():
    event = EventFactory(event_time=None, event_date=datetime.date(2027, 6, 5))

    calendar = icalendar.Calendar.from_ical(event_calendar(event=event))

    (entry,) = calendar.walk("VEVENT")
    assert entry.decoded("DTSTART") == datetime.date(2027, 6, 5)
    assert entry.decoded("DTEND") == datetime.date(2027, 6, 6)
    assert calendar.walk("VTIMEZONE") == []
