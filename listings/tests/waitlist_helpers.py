"""What the waiting list tests share: fans on a list, a ticket listed for them."""

from decimal import Decimal

from accounts.tests.factories import UserFactory
from listings.models import WaitlistEntry
from listings.services import listing_create
from listings.waitlist.entries import waitlist_join
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory


def fans_waiting(event, count: int, **wanted) -> list[WaitlistEntry]:
    """`count` fans joined `event`'s waiting list, in this order."""
    return [waitlist_join(fan=UserFactory(), event=event, **wanted)[0] for _ in range(count)]


def list_ticket(event, *, price="55.00", seller=None, **ticket_fields):
    """A verified ticket of `event` listed through the service (held for the
    waiting list when fans wait): the listing."""
    ticket = TicketFactory(
        event=event,
        owner=seller or UserFactory(),
        status=Ticket.Status.AVAILABLE,
        face_value=Decimal("50.00"),
        **ticket_fields,
    )
    return listing_create(seller=ticket.owner, ticket=ticket, price=price)
