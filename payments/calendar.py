"""A purchase's event as a calendar file: the buyer downloads it from the
purchase page and finds it attached to the email that confirms the payment.
One UID per event and purchase (events.calendar), so opening it twice updates
the calendar entry rather than adding another."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from events.calendar import event_calendar, event_calendar_filename
from marketplace.core.emails import site_url
from marketplace.core.errors import NotFound, PermissionDenied

from .models import Transaction
from .selectors import TICKET_HELD_STATUSES, transaction_get_for_buyer

CALENDAR_MIMETYPE = "text/calendar"


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    content: bytes
    mimetype: str = CALENDAR_MIMETYPE


def transaction_calendar(txn: Transaction) -> CalendarFile:
    """The calendar file of the event `txn` bought a ticket for, in the active
    language (its description and the link to the purchase page)."""
    event = txn.listing.ticket.event
    url = site_url(reverse("payments:transaction", args=[txn.pk]))
    description = _(
        "Your ticket from Encore (order #%(number)s) is on your purchase page: %(url)s"
    ) % {"number": txn.pk, "url": url}
    content = event_calendar(event=event, purchase_id=txn.pk, url=url, description=description)
    return CalendarFile(filename=event_calendar_filename(event), content=content)


def transaction_calendar_for_buyer(*, user, transaction_id: int) -> CalendarFile:
    """The calendar file of the buyer's paid purchase. NotFound for anyone
    else (its seller included) and for a purchase that holds no ticket
    (awaiting payment, cancelled, refunded)."""
    try:
        txn = transaction_get_for_buyer(user=user, transaction_id=transaction_id)
    except PermissionDenied as exc:  # the seller: no calendar of the buyer's
        raise NotFound(_("Transaction not found.")) from exc
    if txn.status not in TICKET_HELD_STATUSES:
        raise NotFound(_("Transaction not found."))
    return transaction_calendar(txn)
