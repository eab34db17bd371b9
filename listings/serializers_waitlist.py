"""The waiting list as the API shows it: a fan's entry (with the offer open to
them), an event's line, a raffle window. Output only; the offer with its whole
listing is listings.api.waitlist's (it nests the listings API's ListingOutput).

Entries are serialized from listings.waitlist.selectors.EntryView, with the
places in line computed for the whole page at once (context["places"]).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.serializers import VenueDateTimeField
from marketplace.core.api.base import money_field

ENTRY_STATES = ["waiting", "in_raffle", "offered", "done", "left"]


class WaitlistOfferSummaryOutput(serializers.Serializer):
    """The ticket held for the fan now: GET /waitlist/offers/{id} shows it whole;
    POST /transactions/purchase with listing_id buys it, .../decline passes it on."""

    id = serializers.IntegerField()
    listing_id = serializers.IntegerField()
    price = money_field(help_text=_("All-in: what the fan pays."))
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField(
        help_text=_("Buy before this moment; then the ticket goes to the next fan in line.")
    )


_OFFER_SUMMARY = WaitlistOfferSummaryOutput()


class WaitlistEntryOutput(serializers.Serializer):
    """One fan's place on one event's waiting list."""

    id = serializers.IntegerField(source="entry.pk")
    event_id = serializers.IntegerField(source="entry.event_id")
    event_name = serializers.CharField(source="entry.event.name")
    starts_at = VenueDateTimeField(
        source="entry.event.starts_at", help_text=_("The event's start, with the venue's offset.")
    )
    quantity = serializers.IntegerField(
        source="entry.quantity", help_text=_("How many tickets the fan wants in all.")
    )
    max_price = money_field(
        source="entry.max_price",
        allow_null=True,
        help_text=_("The most the fan pays for one ticket; null: any price within the caps."),
    )
    section = serializers.CharField(
        source="entry.section", help_text=_('Only tickets of this section; "" for any.')
    )
    ticket_type = serializers.CharField(
        source="entry.ticket_type", help_text=_('Only tickets of this type; "" for any.')
    )
    state = serializers.ChoiceField(
        choices=ENTRY_STATES,
        help_text=_(
            "waiting: in line (place); in_raffle: joined during a raffle window, the place is "
            "drawn when it closes; offered: a ticket is held for the fan (offer); done: the fan "
            "holds as many tickets as they asked for; left: off the list (join again to wait "
            "at the back)."
        ),
    )
    place = serializers.SerializerMethodField(
        help_text=_("The place in line (1 is next); null while in a raffle or after leaving.")
    )
    joined_at = serializers.DateTimeField(source="entry.joined_at")
    holdings = serializers.IntegerField(
        help_text=_("The fan's tickets of the event: purchases that count and offers open to them.")
    )
    offer = serializers.SerializerMethodField(
        help_text=_("The ticket held for the fan now, if any (never one whose time is up).")
    )

    def get_place(self, view) -> int | None:
        return self.context.get("places", {}).get(view.entry.pk)

    @extend_schema_field(WaitlistOfferSummaryOutput(allow_null=True))
    def get_offer(self, view) -> dict | None:
        offer = view.offer
        if offer is None:
            return None
        return _OFFER_SUMMARY.to_representation(
            {
                "id": offer.pk,
                "listing_id": offer.listing_id,
                "price": offer.listing.price,
                "currency": view.entry.event.currency,
                "expires_at": offer.expires_at,
            }
        )


class WaitlistLineOutput(serializers.Serializer):
    """An event's waiting list as anyone sees it, and the caller's own entry."""

    event_id = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text=_("How many fans wait for tickets of the event."))
    you = WaitlistEntryOutput(
        allow_null=True,
        help_text=_(
            "The caller's entry (waiting or left); null without a token or if never joined."
        ),
    )


class WaitlistRaffleOutput(serializers.Serializer):
    """A raffle window: fans who join between opens_at and closes_at are placed
    in a random order drawn when it closes, ahead of those who join later."""

    id = serializers.IntegerField()
    event_id = serializers.IntegerField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
