from django.shortcuts import render

from .selectors import event_list_upcoming

HOME_EVENT_COUNT = 24


def home(request):
    events = event_list_upcoming(limit=HOME_EVENT_COUNT)
    return render(request, "events/home.html", {"events": events})
