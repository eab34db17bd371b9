"""Reads about tickets that the pages, the API and the services share."""

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from marketplace.errors import NotFound
from marketplace.money import quantize_money

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
        raise NotFound("Ticket not found.") from exc


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


# Why an upload waits for staff, in the seller's words (Ticket.review_reasons).
REVIEW_REASON_TEXT = {
    Ticket.REVIEW_NO_BARCODE_IN_FILE: "Encore could not read a barcode in the file",
    Ticket.REVIEW_FACE_VALUE_HIGH: "its face value is far above this event's other tickets",
}


def ticket_review_reasons_text(*, ticket: Ticket) -> str:
    """Why `ticket` waits for staff, as the seller reads it ("" when it does not)."""
    return " and ".join(REVIEW_REASON_TEXT.get(r, r) for r in ticket.review_reasons)
