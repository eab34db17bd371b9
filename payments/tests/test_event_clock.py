"""The money's deadlines run on the event's own clock (events/zones.py): a Berlin
show's sale closes, its dispute window shuts and its payout is released from the
Berlin start, not the site's (Europe/Dublin)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from marketplace.core.errors import ValidationFailed
from marketplace.testing import error_of, ok_data
from payments.models import Dispute, Payout, Transaction
from payments.services import transactions_auto_confirm_due
from payments.services.disputes import dispute_open, dispute_window_closes_at
from payments.services.escrow import auto_confirm_due_at, transaction_auto_confirm
from payments.tests.factories import PayoutFactory, TransactionFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
UTC = datetime.UTC
PURCHASE = "/api/v1/transactions/purchase"
SHOW_DAY = datetime.date(2027, 1, 15)


@pytest.fixture
def clock(monkeypatch):
    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))

    return set_to


def _berlin_event(day=SHOW_DAY, time=datetime.time(19, 30)):
    return EventFactory(event_date=day, event_time=time, city="Berlin", country="DE")


def _paid(event):
    listing = ListingFactory(ticket=TicketFactory(event=event, status="sold"), status="sold")
    txn = TransactionFactory(listing=listing, status=Transaction.Status.PAID)
    Ticket.objects.filter(pk=listing.ticket_id).update(owner=txn.buyer)
    PayoutFactory(transaction=txn, status=Payout.Status.HELD)
    return txn


def test_the_dispute_window_and_auto_confirmation_count_from_the_berlin_start(settings):
    settings.DISPUTE_WINDOW_HOURS = 48
    settings.AUTO_CONFIRM_HOURS = 48
    txn = _paid(_berlin_event())

    berlin_start = datetime.datetime(2027, 1, 15, 18, 30, tzinfo=UTC)  # 19:30 CET
    assert dispute_window_closes_at(txn) == berlin_start + datetime.timedelta(hours=48)
    assert auto_confirm_due_at(txn) == berlin_start + datetime.timedelta(hours=48)
    assert auto_confirm_due_at(txn).tzname() == "CET"


def test_the_windows_are_real_hours_across_a_daylight_saving_change(settings):
    settings.AUTO_CONFIRM_HOURS = 48
    settings.DISPUTE_WINDOW_HOURS = 48
    # Saturday 30 October 2027, 20:00 CEST; the clocks go back on Sunday night.
    txn = _paid(_berlin_event(day=datetime.date(2027, 10, 30), time=datetime.time(20, 0)))

    due = auto_confirm_due_at(txn)
    assert due.astimezone(UTC) == datetime.datetime(2027, 11, 1, 18, 0, tzinfo=UTC)
    assert (due.hour, due.tzname()) == (19, "CET")  # 48 real hours: 19:00 on the new clock
    assert dispute_window_closes_at(txn) == due


def test_a_dispute_is_refused_once_the_berlin_window_shut(settings, clock):
    settings.DISPUTE_WINDOW_HOURS = 48
    txn = _paid(_berlin_event())
    closes = datetime.datetime(2027, 1, 17, 18, 30, tzinfo=UTC)  # 19:30 CET + 48 h
    kwargs = {
        "buyer": txn.buyer,
        "transaction_id": txn.pk,
        "reason": Dispute.Reason.INVALID_TICKET,
        "description": "Refused at the door.",
    }

    clock(closes + datetime.timedelta(minutes=1))
    with pytest.raises(ValidationFailed) as refused:
        dispute_open(**kwargs)
    assert refused.value.details["reason"] == "DISPUTE_WINDOW_CLOSED"

    clock(closes - datetime.timedelta(minutes=1))
    assert dispute_open(**kwargs).status == Dispute.Status.OPEN


def test_the_sale_completes_by_itself_48_hours_after_the_berlin_start(settings, clock):
    settings.AUTO_CONFIRM_HOURS = 48
    txn = _paid(_berlin_event())
    due = datetime.datetime(2027, 1, 17, 18, 30, tzinfo=UTC)

    clock(due - datetime.timedelta(minutes=1))
    assert transaction_auto_confirm(transaction_id=txn.pk) is False
    assert transactions_auto_confirm_due() == 0

    clock(due + datetime.timedelta(minutes=1))
    assert transactions_auto_confirm_due() == 1
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.COMPLETED


def test_the_purchase_api_sells_at_1929_berlin_time_and_not_at_1931(api_as, buyer, clock):
    event = _berlin_event()
    ticket = TicketFactory(event=event, face_value=Decimal("50.00"), status="listed")
    early = ListingFactory(ticket=ticket, price=Decimal("55.00"))
    late_ticket = TicketFactory(event=event, face_value=Decimal("50.00"), status="listed")
    late = ListingFactory(ticket=late_ticket, price=Decimal("55.00"))
    assert early.expires_at == datetime.datetime(2027, 1, 15, 19, 30, tzinfo=BERLIN)

    clock(datetime.datetime(2027, 1, 15, 19, 29, tzinfo=BERLIN))
    response = api_as(buyer).post(PURCHASE, {"listing_id": early.pk}, format="json")
    assert ok_data(response, 201)["status"] == "pending_payment"

    # 19:31 in Berlin, still 18:31 in Dublin: the sale has closed at the venue.
    clock(datetime.datetime(2027, 1, 15, 19, 31, tzinfo=BERLIN))
    response = api_as(buyer).post(PURCHASE, {"listing_id": late.pk}, format="json")
    error_of(response, 410, "LISTING_EXPIRED")
