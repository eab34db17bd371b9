"""The organizer's raffle window on an event's waiting list (from the event's
edit page; staff open one from the admin)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from events.selectors import event_get_visible
from events.zones import event_clock
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import ValidationFailed

from ..waitlist.raffles import waitlist_raffle_open as raffle_open


def _back_to_event(event):
    return redirect(reverse("events:edit", args=[event.pk]) + "#waitlist")


@login_required
@require_POST
def waitlist_raffle_open(request, event_id: int):
    """Open a raffle window of `minutes` on the event's waiting list: fans who
    join before it closes are drawn in a random order when it does, ahead of
    those who join later. The service decides who may (the event's organizer,
    staff: anyone else gets the 403 page) and refuses bad minutes, an event not
    on sale or a raffle already open, which the edit page says as a message."""
    event = event_get_visible(user=request.user, event_id=event_id)
    try:
        raffle = raffle_open(
            actor=request.user,
            event=event,
            minutes=request.POST.get("minutes", ""),
            ip_address=client_ip(request),
        )
    except ValidationFailed as exc:
        messages.error(request, _("No raffle opened: %(reason)s") % {"reason": exc.message})
        return _back_to_event(event)
    closes = event_clock(raffle.closes_at, event=event)
    messages.success(
        request,
        _(
            "Raffle window open until %(closes)s: fans who join the waiting list before then "
            "are placed in a random order when it closes, ahead of those who join later."
        )
        % {"closes": closes},
    )
    return _back_to_event(event)
