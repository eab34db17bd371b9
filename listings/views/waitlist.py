"""The waiting list pages: joining and leaving from the event page, My waiting
lists, an offer with its countdown, Buy and No thanks, and the organizer's
raffle window."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from ..waitlist.selectors import waitlist_offer_for_fan


@login_required
def waitlist_offer(request, offer_id: int):
    """A ticket held for the fan: the countdown, Buy, No thanks."""
    offer = waitlist_offer_for_fan(fan=request.user, offer_id=offer_id)
    return render(request, "listings/waitlist/offer.html", {"offer": offer})


# Built by the pages' work in progress: each answers 404 until then.
def waitlist_join(request, event_id: int):
    raise Http404


def waitlist_leave(request, event_id: int):
    raise Http404


def my_waitlists(request):
    raise Http404


def waitlist_offer_decline(request, offer_id: int):
    raise Http404
