"""The waiting list pages: joining (and changing what one waits for) and
leaving from the event page, My waiting lists, and an offer with its
countdown, Buy and No thanks.

Thin views (STYLE.md, 2): the form reads the fan's wishes, the services of
listings.waitlist decide, and a refusal becomes a form error on the field it
names (status 400, nothing written). Before an offer or the fan's list is
shown, an offer whose time is up is passed on (waitlist_due_check), so no page
shows a dead offer as live.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from events.selectors import event_get_visible, event_is_on_sale
from events.zones import event_clock
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.forms import form_error_from

from ..forms_waitlist import WaitlistJoinForm
from ..models import WaitlistEntry, WaitlistOffer
from ..pricing import fee_breakdown_for_listing
from ..waitlist.entries import waitlist_join as waitlist_join_service
from ..waitlist.entries import waitlist_leave as waitlist_leave_service
from ..waitlist.offers import waitlist_fan_offers_due, waitlist_offer_current
from ..waitlist.offers import waitlist_offer_decline as waitlist_offer_decline_service
from ..waitlist.selectors import (
    offer_is_open,
    waitlist_count,
    waitlist_entries_for_fan,
    waitlist_entry_for,
    waitlist_offer_for_fan,
    waitlist_places,
    waitlist_quantity_max,
)


def _event_url(event_id: int) -> str:
    return reverse("events:detail", args=[event_id]) + "#waitlist"


def _next_url(request) -> str | None:
    """The page a form came from (`next`), when it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# --- joining, changing, leaving -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_join(request, event_id: int):
    """The join form on its own page (GET), and joining or changing what one
    waits for (POST). A refusal shows the form again with the error on its
    field, status 400; nothing is written."""
    event = event_get_visible(user=request.user, event_id=event_id)
    entry = waitlist_entry_for(fan=request.user, event_id=event.pk)
    waiting = entry if entry is not None and entry.state == WaitlistEntry.State.WAITING else None
    form = WaitlistJoinForm(
        request.POST if request.method == "POST" else None,
        initial=WaitlistJoinForm.initial_for(entry),
        currency=event.currency,
    )
    if request.method == "POST" and form.is_valid():
        try:
            _entry, created = waitlist_join_service(
                fan=request.user, event=event, ip_address=client_ip(request), **form.cleaned_data
            )
        except DomainError as exc:
            form_error_from(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "You're on the waiting list for %(event)s: we'll email you when a "
                        "ticket is held for you."
                    )
                    % {"event": event.name},
                )
            else:
                messages.success(
                    request,
                    _(
                        "Your wishes for %(event)s are changed. You keep your place on the "
                        "waiting list."
                    )
                    % {"event": event.name},
                )
            return redirect(_event_url(event.pk))
    return render(
        request,
        "listings/waitlist/join.html",
        {
            "event": event,
            "event_url": reverse("events:detail", args=[event.pk]),
            "form": form,
            "entry": waiting,
            "on_sale": event_is_on_sale(event=event),
            "quantity_max": waitlist_quantity_max(),
            "fans_waiting": waitlist_count(event_id=event.pk),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def waitlist_leave(request, event_id: int):
    """Leave the event's waiting list: back to the event page, or to the page
    the button was on (`next`, My waiting lists)."""
    try:
        entry = waitlist_leave_service(
            fan=request.user, event_id=event_id, ip_address=client_ip(request)
        )
    except NotFound:
        messages.info(request, _("You are not on this waiting list."))
    else:
        messages.success(
            request,
            _(
                "You left the waiting list for %(event)s. You can join again at any time, at "
                "the back of the line."
            )
            % {"event": entry.event.name},
        )
    return redirect(_next_url(request) or _event_url(event_id))


# --- My waiting lists -----------------------------------------------------------------


def _entries_without_dead_offers(fan):
    """The fan's entries, after passing on any offer of theirs whose time is up
    (so the page never shows it as live)."""
    waitlist_fan_offers_due(fan=fan)
    return waitlist_entries_for_fan(fan=fan)


@login_required
def my_waitlists(request):
    """Every waiting list the fan is on (or left): what they wait for, where
    they stand, the offer held for them, and Leave."""
    views = _entries_without_dead_offers(request.user)
    places = waitlist_places(entries=[view.entry for view in views])
    now = timezone.now()
    rows = [
        {
            "view": view,
            "entry": view.entry,
            "event": view.entry.event,
            "place": places.get(view.entry.pk),
            "type_label": WaitlistJoinForm.ticket_type_label(view.entry.ticket_type),
            "can_rejoin": view.state == "left"
            and event_is_on_sale(event=view.entry.event, now=now),
            "offer_ends": (
                event_clock(view.offer.expires_at, event=view.entry.event, now=now)
                if view.offer
                else ""
            ),
            "raffle_draw": (
                event_clock(view.entry.raffle.closes_at, event=view.entry.event, now=now)
                if view.state == "in_raffle" and view.entry.raffle
                else ""
            ),
        }
        for view in views
    ]
    return render(
        request,
        "listings/waitlist/mine.html",
        {"rows": rows, "tab": "waitlists", "here": reverse("listings:waitlist-mine")},
    )


# --- an offer ---------------------------------------------------------------------------

# Why an offer is over, in the fan's words.
ENDED_REASONS = {
    WaitlistOffer.State.DECLINED: gettext_lazy(
        "You said no thanks, so the ticket went to the next fan."
    ),
    WaitlistOffer.State.EXPIRED: gettext_lazy(
        "The time to buy it ran out, so the ticket went to the next fan."
    ),
    WaitlistOffer.State.RELEASED: gettext_lazy(
        "The ticket is no longer held for the waiting list."
    ),
}


def _ended_reason(offer: WaitlistOffer) -> str:
    if offer.state == WaitlistOffer.State.WITHDRAWN:
        if offer.entry is not None and offer.entry.state == WaitlistEntry.State.LEFT:
            return _("You left the waiting list, so the ticket went to the next fan.")
        return _("The seller or Encore took the ticket off sale, or the event changed.")
    reason = ENDED_REASONS.get(offer.state)
    return str(reason) if reason else _("This ticket is no longer held for you.")


def _purchase_of(offer: WaitlistOffer):
    try:
        return offer.transaction
    except WaitlistOffer.transaction.RelatedObjectDoesNotExist:
        return None


@login_required
def waitlist_offer(request, offer_id: int):
    """A ticket held for the fan: the ticket, its price and fee breakdown, the
    time left, Buy and No thanks; or what became of the offer. Another fan's
    offer is not found (404)."""
    # An offer whose time is up is passed on now, before the page says anything.
    offer = waitlist_offer_current(fan=request.user, offer_id=offer_id)
    now = timezone.now()
    listing = offer.listing
    event = listing.ticket.event
    is_open = offer_is_open(offer, now=now)
    context = {
        "offer": offer,
        "listing": listing,
        "ticket": listing.ticket,
        "event": event,
        "is_open": is_open,
    }
    if is_open:
        context |= {
            "breakdown": fee_breakdown_for_listing(listing),
            "ends": event_clock(offer.expires_at, event=event, now=now),
            "deadline_ms": int(offer.expires_at.timestamp() * 1000),
            "now_ms": int(now.timestamp() * 1000),
            "minutes_left": max(int((offer.expires_at - now).total_seconds() // 60), 0),
        }
    elif offer.state == WaitlistOffer.State.ACCEPTED:
        context["purchase"] = _purchase_of(offer)
    else:
        context["ended_reason"] = _ended_reason(offer)
    return render(request, "listings/waitlist/offer.html", context)


@login_required
@require_POST
def waitlist_offer_decline(request, offer_id: int):
    """ "No thanks": the ticket goes to the next fan at once; back to My
    waiting lists. An offer no longer open is said so, not an error page."""
    offer = waitlist_offer_for_fan(fan=request.user, offer_id=offer_id)
    if waitlist_offer_decline_service(fan=request.user, offer=offer, ip_address=client_ip(request)):
        messages.success(request, _("No problem: the ticket goes to the next fan."))
    else:
        messages.info(
            request, _("This offer is no longer open: you already bought the ticket or it ended.")
        )
    return redirect("listings:waitlist-mine")
