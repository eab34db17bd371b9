"""Whether a ticket can be put on sale: one rule (tickets.selectors.ticket_listable),
read by My tickets, the "list this ticket" page and the listing services."""

import datetime

import pytest
from django.utils import timezone

from events.models import Event
from listings.services import listing_create
from marketplace.core.errors import TicketNotAvailable, ValidationFailed
from tickets.models import Ticket
from tickets.selectors import ticket_listable, ticket_unlistable_reason
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_verified_ticket_in_hand_for_an_event_on_sale_is_listable():
    for status in (Ticket.Status.AVAILABLE, Ticket.Status.TRANSFERRED):
        ticket = TicketFactory(status=status)

        assert ticket_unlistable_reason(ticket=ticket) is None
        assert ticket_listable(ticket=ticket)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"event__status": Event.Status.DRAFT}, "EVENT_NOT_ON_SALE"),
        ({"event__status": Event.Status.CANCELLED}, "EVENT_NOT_ON_SALE"),
        ({"verification": Ticket.Verification.PENDING_REVIEW}, "TICKET_IN_REVIEW"),
        ({"verification": Ticket.Verification.REJECTED}, "TICKET_REJECTED"),
        ({"status": Ticket.Status.LISTED}, "TICKET_NOT_IN_HAND"),
        ({"status": Ticket.Status.RESERVED}, "TICKET_NOT_IN_HAND"),
        ({"status": Ticket.Status.SOLD}, "TICKET_NOT_IN_HAND"),
        ({"status": Ticket.Status.TRANSFER_PENDING}, "TICKET_NOT_IN_HAND"),
        ({"status": Ticket.Status.VOID}, "TICKET_NOT_IN_HAND"),
        # The weightiest reason first: a ticket of an event over can never be sold.
        (
            {"event__status": Event.Status.CANCELLED, "status": Ticket.Status.LISTED},
            "EVENT_NOT_ON_SALE",
        ),
    ],
)
def test_why_a_ticket_cannot_be_listed(changes, reason):
    ticket = TicketFactory(**changes)

    assert ticket_unlistable_reason(ticket=ticket) == reason
    assert not ticket_listable(ticket=ticket)


def test_an_event_that_has_started_lists_nothing():
    ticket = TicketFactory()
    later = ticket.event.starts_at + datetime.timedelta(minutes=1)

    assert ticket_unlistable_reason(ticket=ticket, now=later) == "EVENT_NOT_ON_SALE"
    assert ticket_listable(ticket=ticket, now=timezone.now())


@pytest.mark.parametrize(
    ("changes", "error", "reason"),
    [
        ({"event__status": Event.Status.DRAFT}, ValidationFailed, "EVENT_NOT_ON_SALE"),
        (
            {"verification": Ticket.Verification.PENDING_REVIEW},
            TicketNotAvailable,
            "TICKET_IN_REVIEW",
        ),
        ({"verification": Ticket.Verification.REJECTED}, TicketNotAvailable, "TICKET_REJECTED"),
        ({"status": Ticket.Status.VOID}, TicketNotAvailable, None),
    ],
)
def test_the_listing_service_refuses_what_the_selector_says(changes, error, reason):
    ticket = TicketFactory(**changes)

    with pytest.raises(error) as refused:
        listing_create(seller=ticket.owner, ticket=ticket, price="50.00")

    assert refused.value.details.get("reason") == reason
