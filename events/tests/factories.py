import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import OrganizerFactory
from events.models import Event


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Encore Live {n}")
    description = "An evening of music."
    event_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    event_time = datetime.time(20, 0)
    venue_name = "3Arena"
    location = "North Wall Quay"
    city = "Dublin"
    country = "IE"
    organizer = factory.SubFactory(OrganizerFactory)
    status = Event.Status.PUBLISHED
    category = Event.Category.CONCERT
    currency = "EUR"
