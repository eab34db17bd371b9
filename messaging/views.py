"""The message thread's form and the notifications page.

The thread itself is shown on the transaction page (payments.views.sales), which
this module re-renders with the refused form when a message is not sent.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from marketplace.api.base import client_ip
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.forms import form_error_from
from marketplace.ids import as_id
from marketplace.pagination import BoundedPaginator
from payments.selectors import transaction_get_for_party
from payments.views.sales import render_transaction_page

from .forms import MessageForm
from .models import Notification
from .selectors import notification_list
from .services import message_send, notifications_mark_all_read

PER_PAGE = 20


@require_POST
@login_required
def send(request, transaction_id: int):
    """The buyer or the seller writes to the other party of a transaction."""
    try:
        txn = transaction_get_for_party(user=request.user, transaction_id=transaction_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message_send(
                sender=request.user,
                transaction=txn,
                body=form.cleaned_data["body"],
                ip_address=client_ip(request),
            )
        except NotFound as exc:  # staff read threads; they do not write in them
            raise Http404(exc.message) from exc
        except (ValidationFailed, PermissionDenied) as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "Message sent.")
            return redirect(reverse("payments:transaction", args=[txn.pk]) + "#messages")
    return render_transaction_page(request, txn, message_form=form)


def _notification_text(notification: Notification) -> str:
    # The email's subject line says it in one sentence; the page reuses it.
    payload = notification.payload or {}
    return render_to_string(
        f"emails/notifications/{notification.type}_subject.txt", {**payload, "payload": payload}
    ).strip()


# Notifications about no transaction lead to the page that deals with them.
NOTIFICATION_PAGES = {
    Notification.Type.LISTING_EXPIRED: "listings:mine",
    Notification.Type.LISTING_REMOVED: "listings:mine",
    Notification.Type.TICKET_RECEIVED: "tickets:mine",
}


def _notification_url(notification: Notification) -> str:
    transaction_id = as_id((notification.payload or {}).get("transaction_id"))
    if transaction_id is not None:
        return reverse("payments:transaction", args=[transaction_id])
    name = NOTIFICATION_PAGES.get(notification.type)
    return reverse(name) if name else ""


@require_GET
@login_required
def notifications(request):
    page = BoundedPaginator(notification_list(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    for notification in page:
        notification.text = _notification_text(notification)
        notification.url = _notification_url(notification)
    return render(request, "messaging/notifications.html", {"page": page})


@require_POST
@login_required
def read_all(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(
            request, f"{count} notification{'s' if count != 1 else ''} marked as read."
        )
    return redirect("messaging:notifications")
