"""Reads about tickets that the pages, the API and the services share."""

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.selectors import event_is_on_sale
from marketplace.core.errors import NotFound
from marketplace.core.money import quantize_money

from .models import Ticket, TicketTransfer


def ticket_list_for_owner(*, owner) -> QuerySet[Ticket]:
    """`owner`'s tickets, soonest event first, with their event (one query),
    and for a ticket offered to someone, `transfer_email` and
    `transfer_expires_at` of the transfer waiting (else None)."""
    pending = TicketTransfer.objects.filter(
        ticket_id=OuterRef("pk"), status=TicketTransfer.Status.PENDING
    )
    return (
        Ticket.objects.filter(owner_id=owner.pk)
        .select_related("event", "tier")
        .annotate(
            transfer_email=Subquery(pending.values("recipient_email")[:1]),
            transfer_expires_at=Subquery(pending.values("expires_at")[:1]),
        )
        .order_by("event__event_date", "event__event_time", "event_id", "id")
    )


def ticket_get_for_owner(*, owner, ticket_id) -> Ticket:
    """`owner`'s ticket `ticket_id`; NotFound if it does not exist or is someone else's."""
    try:
        return ticket_list_for_owner(owner=owner).get(pk=int(ticket_id))
    except (Ticket.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(_("Ticket not found.")) from exc


def ticket_face_value_median(*, event, exclude_owner=None) -> Decimal | None:
    """The median face value of `event`'s verified tickets that still admit,
    leaving out `exclude_owner`'s own (a seller does not set their own yardstick);
    None when there is none. Two small queries, whatever the number of tickets."""
    tickets = Ticket.objects.filter(event=event, verification=Ticket.Verification.VERIFIED).exclude(
        status__in=Ticket.INACTIVE_STATUSES
    )
    if exclude_owner is not None:
        tickets = tickets.exclude(owner_id=exclude_owner.pk)
    count = tickets.count()
    if not count:
        return None
    middle = tickets.order_by("face_value").values_list("face_value", flat=True)[
        (count - 1) // 2 : count // 2 + 1
    ]
    values = list(middle)
    return quantize_money(sum(values) / len(values))


# A ticket can be put on sale from these states (a transferred ticket is held
# by its recipient like any other); not while listed, reserved, in escrow,
# offered to someone, or void.
LISTABLE_STATUSES = Ticket.IN_HAND_STATUSES

# Why a ticket cannot be put on sale (ticket_unlistable_reason).
EVENT_NOT_ON_SALE = "EVENT_NOT_ON_SALE"
TICKET_REJECTED = "TICKET_REJECTED"
TICKET_IN_REVIEW = "TICKET_IN_REVIEW"
TICKET_NOT_IN_HAND = "TICKET_NOT_IN_HAND"


def ticket_unverified_reason(*, ticket: Ticket) -> str | None:
    """Why `ticket` cannot be priced: TICKET_REJECTED or TICKET_IN_REVIEW; None when
    its evidence is verified (its face value is a tier's, in line with the event's,
    or confirmed by staff: never only typed, ARCHITECTURE.md rule 1)."""
    if ticket.verification == Ticket.Verification.VERIFIED:
        return None
    if ticket.verification == Ticket.Verification.REJECTED:
        return TICKET_REJECTED
    return TICKET_IN_REVIEW


def ticket_unlistable_reason(*, ticket: Ticket, now=None) -> str | None:
    """Why `ticket` cannot be put on sale now, the weightiest reason first:
    EVENT_NOT_ON_SALE (draft, cancelled or started), TICKET_REJECTED,
    TICKET_IN_REVIEW, TICKET_NOT_IN_HAND (listed, reserved, sold, offered to
    someone or void). None when it can. Reads no row beyond the ticket's event."""
    if not event_is_on_sale(event=ticket.event, now=now):
        return EVENT_NOT_ON_SALE
    unverified = ticket_unverified_reason(ticket=ticket)
    if unverified:
        return unverified
    if ticket.status not in LISTABLE_STATUSES:
        return TICKET_NOT_IN_HAND
    return None


def ticket_listable(*, ticket: Ticket, now=None) -> bool:
    """Whether `ticket` can be put on sale now (the pages' "List for sale" and the
    listing services' checks: one rule)."""
    return ticket_unlistable_reason(ticket=ticket, now=now) is None


# Why an upload waits for staff, in the seller's words (Ticket.review_reasons).
REVIEW_REASON_TEXT = {
    Ticket.REVIEW_NO_BARCODE_IN_FILE: gettext_lazy("Encore could not read a barcode in the file"),
    Ticket.REVIEW_FACE_VALUE_HIGH: gettext_lazy(
        "its face value is far above this event's other tickets"
    ),
}


def ticket_review_reasons_text(*, ticket: Ticket) -> str:
    """Why `ticket` waits for staff, as the seller reads it ("" when it does not)."""
    reasons = [str(REVIEW_REASON_TEXT.get(r, r)) for r in ticket.review_reasons]
    if len(reasons) == 2:
        # Translators: two reasons why a ticket waits for Encore's staff to check it.
        return _("%(first)s and %(second)s") % {"first": reasons[0], "second": reasons[1]}
    return " ".join(reasons)
