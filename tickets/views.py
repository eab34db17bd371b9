from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from events.selectors import event_is_on_sale
from listings.services import LISTABLE_TICKET_STATUSES
from marketplace.errors import NotFound
from marketplace.pagination import BoundedPaginator

from .models import Ticket
from .selectors import ticket_get_for_owner, ticket_list_for_owner
from .services import ticket_file_open

TICKETS_PER_PAGE = 20


@require_GET
@login_required
def my_tickets(request):
    """My tickets, soonest event first, with what I can do with each."""
    page = BoundedPaginator(ticket_list_for_owner(owner=request.user), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        {
            "ticket": ticket,
            "can_list": ticket.status in LISTABLE_TICKET_STATUSES
            and event_is_on_sale(event=ticket.event, now=now),
            "can_download": ticket.status != Ticket.Status.VOID,
        }
        for ticket in page
    ]
    return render(request, "tickets/mine.html", {"page": page, "rows": rows})


@require_GET
@login_required
def ticket_file_download(request, ticket_id: int):
    """The ticket's file, to its current owner only; anyone else gets 404 (rule 10)."""
    try:
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
        handle, content_type, filename = ticket_file_open(user=request.user, ticket=ticket)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    # A ticket is as good as cash: no shared cache keeps it, no browser guesses its type.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
