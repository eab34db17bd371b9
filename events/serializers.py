"""The event as other apps' API answers show it (a listing, a ticket, a
purchase): shared output lives here, so no app's API imports another's."""

from rest_framework import serializers

from marketplace.core.api.base import LocalTimeField

from .models import Event


class EventSummaryOutput(serializers.Serializer):
    """The event as shown beside a ticket, a listing or a purchase."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    event_date = serializers.DateField()
    event_time = LocalTimeField(allow_null=True)
    venue_name = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    category = serializers.ChoiceField(choices=Event.Category.choices)
    status = serializers.ChoiceField(choices=Event.Status.choices)
    currency = serializers.CharField()
