"""The event as other apps' API answers show it (a listing, a ticket, a
purchase): shared output lives here, so no app's API imports another's."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from marketplace.core.api.base import LocalTimeField

from .models import Event


class VenueDateTimeField(serializers.DateTimeField):
    """An aware datetime as ISO 8601 with its own offset (the venue's), not
    converted to the site's time zone."""

    def to_representation(self, value):
        return value.isoformat() if value is not None else None


class EventSummaryOutput(serializers.Serializer):
    """The event as shown beside a ticket, a listing or a purchase."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    event_date = serializers.DateField()
    event_time = LocalTimeField(
        allow_null=True,
        help_text=_("The start on the venue's clock (time_zone); null: not announced."),
    )
    time_zone = serializers.CharField(
        help_text=_(
            "The venue's IANA time zone, e.g. Europe/Berlin: every time rule "
            "(sales close, listings expire, disputes, payouts) runs on this clock."
        )
    )
    starts_at = VenueDateTimeField(
        help_text=_(
            "event_date and event_time in time_zone, ISO 8601 with the venue's offset "
            "(e.g. 2026-12-20T19:30:00+01:00); midnight when the time is not announced."
        )
    )
    venue_name = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    category = serializers.ChoiceField(choices=Event.Category.choices)
    status = serializers.ChoiceField(choices=Event.Status.choices)
    currency = serializers.CharField()
