import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from listings.models import Listing
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
