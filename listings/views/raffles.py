"""The organizer's raffle window on an event's waiting list."""

from django.http import Http404


# Built by the pages' work in progress: answers 404 until then.
def waitlist_raffle_open(request, event_id: int):
    raise Http404
