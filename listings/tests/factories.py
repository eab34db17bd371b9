import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing, ListingReport
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    ticket = factory.SubFactory(TicketFactory, status=Ticket.Status.LISTED)
    seller = factory.SelfAttribute("ticket.owner")
    price = Decimal("55.00")
    status = Listing.Status.ACTIVE
    listed_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(
        lambda o: max(o.ticket.event.starts_at, o.listed_at + datetime.timedelta(minutes=1))
    )
    # The event's search fields, copied as listing_create copies them.
    event = factory.SelfAttribute("ticket.event")
    event_status = factory.SelfAttribute("ticket.event.status")
    event_category = factory.SelfAttribute("ticket.event.category")
    event_country = factory.SelfAttribute("ticket.event.country")
    event_city = factory.SelfAttribute("ticket.event.city")
    event_date = factory.SelfAttribute("ticket.event.event_date")
    event_starts_at = factory.SelfAttribute("ticket.event.starts_at")


def listing_of_new_event(*, price: str = "55.00", **event_fields) -> Listing:
    """An active listing of a ticket (face value 50.00) for a new event made
    with `event_fields`."""
    return ListingFactory(ticket__event=EventFactory(**event_fields), price=Decimal(price))


class ListingReportFactory(factory.django.DjangoModelFactory):
    """An open report by a logged-in fan."""

    class Meta:
        model = ListingReport

    listing = factory.SubFactory(ListingFactory)
    reporter = factory.SubFactory(UserFactory)
    reason = ListingReport.Reason.SPECULATIVE
    text = "The seller lists seats that do not exist."
