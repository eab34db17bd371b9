"""The listed ticket as other apps' API answers show it (a purchase): shared
output lives here, so no app's API imports another's."""

from rest_framework import serializers

from marketplace.core.api.base import money_field
from tickets.models import Ticket


class ListedTicketOutput(serializers.Serializer):
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices)
    section = serializers.CharField()
    row = serializers.CharField()
    seat = serializers.CharField()
    face_value = money_field()
