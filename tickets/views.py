"""My tickets, a ticket's file, and giving a ticket to someone. A domain error a
view has nothing particular to say about (NotFound: 404) is answered by
marketplace.page_errors; what a view does say (a form error, a message on My
tickets) it says itself."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.forms import form_error_from
from marketplace.core.pagination import BoundedPaginator

from .forms import TransferForm
from .models import Ticket
from .selectors import (
    ticket_get_for_owner,
    ticket_list_for_owner,
    ticket_listable,
    ticket_review_reasons_text,
)
from .services import (
    ticket_file_open,
    ticket_transfer,
    ticket_transfer_cancel,
    ticket_transfer_claim,
    ticket_transfer_get_by_code,
)
from .services.transfer import TRANSFERABLE_STATUSES

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
            "can_list": ticket_listable(ticket=ticket, now=now),
            "can_download": ticket.status != Ticket.Status.VOID,
            "can_transfer": ticket.status in TRANSFERABLE_STATUSES and ticket.event.starts_at > now,
            "review_reasons": ticket_review_reasons_text(ticket=ticket),
        }
        for ticket in page
    ]
    return render(request, "tickets/mine.html", {"page": page, "rows": rows})


def ticket_file_response(handle, content_type: str, filename: str) -> FileResponse:
    """A ticket's file as a download. A ticket is as good as cash: no shared
    cache keeps it, no browser guesses its type."""
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def ticket_file_download(request, ticket_id: int):
    """The ticket's file, to its current owner only; anyone else gets 404 (rule 10:
    the NotFound of the selector or the service, answered by marketplace.page_errors)."""
    ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
    return ticket_file_response(*ticket_file_open(user=request.user, ticket=ticket))


@login_required
@require_http_methods(["GET", "POST"])
def ticket_transfer_page(request, ticket_id: int):
    """Give a ticket to someone by email address. The answer is the same
    whether or not the address has an Encore account."""
    ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
    form = TransferForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            offer = ticket_transfer(
                owner=request.user,
                ticket=ticket,
                recipient_email=form.cleaned_data["recipient_email"],
                site_url=request.build_absolute_uri("/"),
                ip_address=client_ip(request),
            )
        except DomainError as exc:
            form_error_from(form, exc)
        else:
            until = date_format(timezone.localtime(offer.expires_at), "SHORT_DATETIME_FORMAT")
            messages.success(
                request,
                _(
                    "We emailed %(email)s a link to claim your ticket for %(event)s. It is held "
                    "for them until %(until)s; until then you can take it back here."
                )
                % {"email": offer.recipient_email, "event": ticket.event.name, "until": until},
            )
            return redirect("tickets:mine")
    context = {"form": form, "ticket": ticket, "hold_days": settings.TICKET_TRANSFER_HOLD_DAYS}
    return render(request, "tickets/transfer.html", context)


@login_required
@require_POST
def ticket_transfer_cancel_page(request, ticket_id: int):
    """Take back a ticket offered to someone."""
    ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
    try:
        ticket_transfer_cancel(owner=request.user, ticket=ticket, ip_address=client_ip(request))
    except NotFound:
        messages.error(request, _("This ticket is not waiting for anyone."))
    else:
        messages.success(
            request, _("Your ticket for %(event)s is yours again.") % {"event": ticket.event.name}
        )
    return redirect("tickets:mine")


@login_required
@require_http_methods(["GET", "POST"])
def ticket_claim_page(request, code: str):
    """Accept a ticket someone sent to my address, from the emailed link."""
    offer = ticket_transfer_get_by_code(code=code)
    error = None
    if request.method == "POST":
        try:
            ticket = ticket_transfer_claim(
                user=request.user, code=code, ip_address=client_ip(request)
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request, _("The ticket for %(event)s is yours.") % {"event": ticket.event.name}
            )
            return redirect("tickets:mine")
    return render(
        request,
        "tickets/claim.html",
        {"offer": offer, "event": offer.ticket.event, "error": error},
        status=400 if error else 200,
    )
