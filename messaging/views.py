"""The notifications page. A transaction's thread and its form are on the
transaction page (payments.views.sales and payments.views.messages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from marketplace.core.ids import as_id
from marketplace.core.pagination import BoundedPaginator

from .emails import notification_text
from .models import Notification
from .selectors import notification_list
from .services import notifications_mark_all_read

PER_PAGE = 20


def _notification_text(notification: Notification) -> str:
    # The email's subject line says it in one sentence; the page reuses it.
    return notification_text(notification)


# Notifications about no transaction lead to the page that deals with them.
NOTIFICATION_PAGES = {
    Notification.Type.LISTING_EXPIRED: "listings:mine",
    Notification.Type.LISTING_REMOVED: "listings:mine",
    Notification.Type.TICKET_RECEIVED: "tickets:mine",
}


def _notification_url(notification: Notification) -> str:
    payload = notification.payload or {}
    offer_id = as_id(payload.get("offer_id"))
    if notification.type == Notification.Type.WAITLIST_OFFER and offer_id is not None:
        # A ticket held for the fan: its offer page, with Buy and No thanks.
        return reverse("listings:waitlist-offer", args=[offer_id])
    transaction_id = as_id(payload.get("transaction_id"))
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
            request,
            ngettext(
                "%(count)s notification marked as read.",
                "%(count)s notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    return redirect("messaging:notifications")
