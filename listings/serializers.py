"""The listed ticket as other apps' API answers show it (a purchase): shared
output lives here, so no app's API imports another's. It says what a resale
listing must (UK Consumer Rights Act 2015, s.90): the seat, any restriction on
use, the face value and the organizer's ticket number; never the barcode."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import TraderDeclaration
from marketplace.core.api.base import money_field
from tickets.models import Ticket


class ListedTicketOutput(serializers.Serializer):
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices)
    section = serializers.CharField()
    row = serializers.CharField()
    seat = serializers.CharField()
    face_value = money_field()
    original_fees = money_field(
        help_text=_("The unavoidable fees paid with it at the box office (its price tier's).")
    )
    restrictions = serializers.CharField(
        help_text=_('Any restriction on its use, as the seller gave it ("" for none).')
    )
    organizer_ticket_number = serializers.CharField(
        help_text=_("The organizer's own number for the ticket, if it has one; never the barcode.")
    )


class SellerKindOutput(serializers.Serializer):
    """Whether the seller sells as a business (EU Omnibus directive 2019/2161:
    buyers are told, on the seller's declaration; accounts.traders.seller_kind)."""

    kind = serializers.ChoiceField(choices=TraderDeclaration.Kind.choices)
    trader_name = serializers.CharField(
        source="business_name", allow_blank=True, help_text=_('The business name; "" if private.')
    )
    label = serializers.CharField(
        help_text=_('"Professional seller: NAME" or "Private seller", as the listing page says.')
    )
