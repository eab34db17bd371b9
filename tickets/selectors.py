"""Reads about tickets that the pages, the API and the services share."""

from django.db.models import QuerySet

from marketplace.errors import NotFound

from .models import Ticket


def ticket_list_for_owner(*, owner) -> QuerySet[Ticket]:
    """`owner`'s tickets, soonest event first, with their event (one query)."""
    return (
        Ticket.objects.filter(owner_id=owner.pk)
        .select_related("event")
        .order_by("event__event_date", "event__event_time", "event_id", "id")
    )


def ticket_get_for_owner(*, owner, ticket_id) -> Ticket:
    """`owner`'s ticket `ticket_id`; NotFound if it does not exist or is someone else's."""
    try:
        return ticket_list_for_owner(owner=owner).get(pk=int(ticket_id))
    except (Ticket.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound("Ticket not found.") from exc
