"""API: an event's waiting list (join, change, leave, see one's place), the
caller's entries and the tickets offered to them, and the organizer's raffle
window (ARCHITECTURE.md, rule 13; the rules are listings.waitlist's).

Buying an offered ticket is POST /transactions/purchase with its listing_id.
"""

import math

from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from events.selectors import event_get_visible
from marketplace.core.api.base import money_field, valid
from marketplace.core.api.envelope import ok, page_params, success_body
from marketplace.core.api.schema import ERROR_DESCRIPTIONS, ErrorEnvelope, api_doc, envelope
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import TicketNotAvailable

from ..models import WaitlistOffer
from ..serializers_waitlist import (
    WaitlistEntryOutput,
    WaitlistLineOutput,
    WaitlistRaffleOutput,
)
from ..waitlist.entries import waitlist_join, waitlist_leave
from ..waitlist.offers import (
    waitlist_fan_offers_due,
    waitlist_offer_current,
    waitlist_offer_decline,
)
from ..waitlist.raffles import waitlist_raffle_open
from ..waitlist.selectors import (
    EntryView,
    waitlist_count,
    waitlist_entries_for_fan,
    waitlist_offer_for_fan,
    waitlist_places,
)
from .listing import ListingOutput

TAGS = ["waitlist"]


class WaitlistJoinInput(serializers.Serializer):
    """What the fan waits for. The rules (ranges, the event on sale, tickets the
    fan holds already) are the service's: refusals name the field and a reason."""

    quantity = serializers.IntegerField(
        required=False,
        default=1,
        help_text=_(
            "How many tickets in all: 1 to MAX_TICKETS_PER_EVENT (6), counting those "
            "the fan holds already (reason OUT_OF_RANGE, or WAITLIST_NOTHING_TO_WAIT_FOR when "
            "they hold that many)."
        ),
    )
    max_price = money_field(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The most the fan pays for one ticket (more than 0); null or absent: any "
            "price within the caps."
        ),
    )
    section = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text=_(
            'Only tickets of this section (at most 50 characters; reason TOO_LONG); "" for any.'
        ),
    )
    ticket_type = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text=_('Only tickets of this type (at most 50 characters); "" for any.'),
    )


class WaitlistRaffleInput(serializers.Serializer):
    minutes = serializers.IntegerField(
        help_text=_(
            "How long the window stays open: 1 to WAITLIST_RAFFLE_MAX_MINUTES (120); "
            "it closes at the event's start at the latest."
        )
    )


class WaitlistOfferOutput(serializers.Serializer):
    """A ticket held for the fan from the waiting list, whatever became of it."""

    id = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=WaitlistOffer.State.choices,
        help_text=_(
            "open: the fan may buy it until expires_at; accepted: bought (or being "
            "paid for); declined, expired, withdrawn (the fan left the list): it went to the next "
            "fan in line."
        ),
    )
    event_id = serializers.IntegerField(source="listing.ticket.event_id")
    listing_id = serializers.IntegerField()
    price = money_field(source="listing.price", help_text=_("All-in: what the fan pays."))
    currency = serializers.CharField(source="listing.ticket.event.currency")
    offered_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        help_text=_(
            "While open: buy before this moment (POST /transactions/purchase with "
            "listing_id); then the ticket goes to the next fan."
        )
    )
    decided_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When it was bought, declined, ran out or was withdrawn.")
    )
    listing = ListingOutput(
        help_text=_(
            "The ticket (section, row, seat, type) and its fee breakdown, as "
            "GET /listings/{id} shows it."
        )
    )


# --- reads the answers share --------------------------------------------------------------


def _entries(views: list[EntryView]) -> list[dict]:
    return WaitlistEntryOutput(
        views,
        many=True,
        context={"places": waitlist_places(entries=[view.entry for view in views])},
    ).data


def _entry_of(fan, *, event_id: int) -> dict | None:
    """The caller's entry for the event in the shape of GET /waitlist; None if
    they never joined."""
    waitlist_fan_offers_due(fan=fan)
    view = next(
        (view for view in waitlist_entries_for_fan(fan=fan) if view.entry.event_id == event_id),
        None,
    )
    return _entries([view])[0] if view is not None else None


def _errors(*codes: int) -> dict:
    return {
        code: OpenApiResponse(ErrorEnvelope, description=ERROR_DESCRIPTIONS[code]) for code in codes
    }


# --- an event's waiting list --------------------------------------------------------------


class EventWaitlistApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @api_doc(
        summary="An event's waiting list",
        description=(
            "How many fans wait for tickets of the event; with a token, the caller's own "
            "entry too (`you`: state, place in line, any ticket offered to them). 404 for an "
            "event that does not exist or is not published."
        ),
        tags=TAGS,
        response=WaitlistLineOutput,
        errors=(404,),
        operation_id="waitlist_status",
    )
    def get(self, request, pk: int):
        event = event_get_visible(user=request.user, event_id=pk)
        you = _entry_of(request.user, event_id=event.pk) if request.user.is_authenticated else None
        return ok({"event_id": event.pk, "waiting": waitlist_count(event_id=event.pk), "you": you})

    @extend_schema(
        summary="Join an event's waiting list, or change what I wait for",
        description=(
            "When a ticket matching what the fan waits for is listed (or comes back on sale), "
            "it is held for the first fan in line for an offer window (30, 10 or 3 minutes as "
            "the event nears; never ending at night) before anyone else may see it. The fan "
            "is emailed and notified; GET /waitlist shows the offer, POST "
            "/transactions/purchase with its listing_id buys it. Answers 201 with the new "
            "entry; 200 when a fan already waiting changed quantity, max_price, section or "
            "ticket_type (they keep their place). Joining while the organizer's raffle window "
            "is open enters the raffle (state in_raffle). Refusals: 400 VALIDATION_ERROR with "
            "details {field, reason}: OUT_OF_RANGE (quantity, with min and max; max_price), "
            "TOO_LONG (section, ticket_type, with max), WAITLIST_NOTHING_TO_WAIT_FOR (the fan "
            "holds that many tickets of the event already), EVENT_NOT_ON_SALE (cancelled, "
            "started); 403 EMAIL_NOT_VERIFIED for an account whose address is not confirmed "
            "(a suspended one gets 401); 404 for an event that does not exist or is not "
            "published."
        ),
        tags=TAGS,
        request=WaitlistJoinInput,
        responses={
            201: envelope(WaitlistEntryOutput),
            200: envelope(WaitlistEntryOutput),
            **_errors(403, 404),
        },
        operation_id="waitlist_join",
    )
    def post(self, request, pk: int):
        event = event_get_visible(user=request.user, event_id=pk)
        data = valid(WaitlistJoinInput, request.data)
        _entry, created = waitlist_join(
            fan=request.user, event=event, **data, ip_address=client_ip(request)
        )
        return ok(_entry_of(request.user, event_id=event.pk), status=201 if created else 200)

    @api_doc(
        summary="Leave an event's waiting list",
        description=(
            "At any time: a ticket held for the caller goes to the next fan at once. Answers "
            "the entry, state left. 404 NOT_FOUND when the caller is not waiting."
        ),
        tags=TAGS,
        response=WaitlistEntryOutput,
        errors=(404,),
        operation_id="waitlist_leave",
    )
    def delete(self, request, pk: int):
        entry = waitlist_leave(fan=request.user, event_id=pk, ip_address=client_ip(request))
        return ok(_entry_of(request.user, event_id=entry.event_id))


class WaitlistRaffleApi(APIView):
    @api_doc(
        summary="Open a raffle window on an event's waiting list (its organizer or staff)",
        description=(
            "For a hot on-sale moment: fans who join within the next `minutes` are placed in "
            "a random order, drawn when the window closes (the seed is kept in the audit "
            "trail), instead of by who typed fastest; all of them behind the fans already "
            "waiting and ahead of those who join later. Tickets listed meanwhile wait for the "
            "draw. 403 FORBIDDEN for anyone but the event's organizer and staff; 400 "
            "VALIDATION_ERROR with details {field, reason}: OUT_OF_RANGE (minutes, with min "
            "and max), EVENT_NOT_ON_SALE, RAFFLE_ALREADY_OPEN (one is open or waiting for its "
            "draw)."
        ),
        tags=TAGS,
        request=WaitlistRaffleInput,
        response=WaitlistRaffleOutput,
        status=201,
        errors=(403, 404),
        operation_id="waitlist_raffle_open",
    )
    def post(self, request, pk: int):
        event = event_get_visible(user=request.user, event_id=pk)
        data = valid(WaitlistRaffleInput, request.data)
        raffle = waitlist_raffle_open(
            actor=request.user, event=event, minutes=data["minutes"], ip_address=client_ip(request)
        )
        return ok(WaitlistRaffleOutput(raffle).data, status=201)


# --- the caller's entries and offers --------------------------------------------------------


class MyWaitlistsApi(APIView):
    @api_doc(
        summary="My waiting lists",
        description=(
            "The caller's entries, newest first, each with its state, place in line, the "
            "tickets they hold for the event and the ticket offered to them now, if any "
            "(an offer whose time is up has gone to the next fan before this answer)."
        ),
        tags=TAGS,
        response=WaitlistEntryOutput,
        paginated=True,
        operation_id="waitlist_mine",
    )
    def get(self, request):
        page, limit = page_params(request)
        waitlist_fan_offers_due(fan=request.user)
        views = waitlist_entries_for_fan(fan=request.user)
        # One row per event the fan ever joined: paged in memory, places for the page only.
        total = len(views)
        data = _entries(views[(page - 1) * limit : page * limit])
        pagination = {
            "page": page,
            "limit": limit,
            "total": total,
            "totalPages": math.ceil(total / limit) if total else 0,
            "totalExact": True,
        }
        return Response(success_body(data, pagination=pagination))


class WaitlistOfferApi(APIView):
    @api_doc(
        summary="A ticket offered to me from a waiting list",
        description=(
            "The offer with its listing (seat, type, fee breakdown), its state and until when "
            "it is held (expires_at). Buy it with POST /transactions/purchase and its "
            "listing_id while it is open; an offer whose time is up has gone to the next fan "
            "(state expired). 404 NOT_FOUND for anyone else's."
        ),
        tags=TAGS,
        response=WaitlistOfferOutput,
        errors=(404,),
        operation_id="waitlist_offer",
    )
    def get(self, request, pk: int):
        return ok(WaitlistOfferOutput(waitlist_offer_current(fan=request.user, offer_id=pk)).data)


class WaitlistOfferDeclineApi(APIView):
    @api_doc(
        summary="Decline a ticket offered to me",
        description=(
            '"No thanks": the ticket goes to the next fan in line at once; the caller stays on '
            "the list (declining is not a lapse). Answers the offer, state declined. 409 "
            "TICKET_NOT_AVAILABLE with details {reason: OFFER_CLOSED, state} when it is no "
            "longer open (bought, expired, withdrawn, declined already); 404 NOT_FOUND for "
            "anyone else's."
        ),
        tags=TAGS,
        response=WaitlistOfferOutput,
        errors=(404, 409),
        operation_id="waitlist_offer_decline",
    )
    def post(self, request, pk: int):
        offer = waitlist_offer_current(fan=request.user, offer_id=pk)
        if not waitlist_offer_decline(fan=request.user, offer=offer, ip_address=client_ip(request)):
            offer = waitlist_offer_for_fan(fan=request.user, offer_id=pk)
            raise TicketNotAvailable(
                gettext("This offer is no longer open."),
                details={"reason": "OFFER_CLOSED", "state": offer.state},
            )
        return ok(WaitlistOfferOutput(waitlist_offer_for_fan(fan=request.user, offer_id=pk)).data)


urlpatterns = [
    path("events/<id:pk>/waitlist", EventWaitlistApi.as_view(), name="events-waitlist"),
    path(
        "events/<id:pk>/waitlist/raffles",
        WaitlistRaffleApi.as_view(),
        name="events-waitlist-raffles",
    ),
    path("waitlist", MyWaitlistsApi.as_view(), name="waitlist"),
    path("waitlist/offers/<id:pk>", WaitlistOfferApi.as_view(), name="waitlist-offers-detail"),
    path(
        "waitlist/offers/<id:pk>/decline",
        WaitlistOfferDeclineApi.as_view(),
        name="waitlist-offers-decline",
    ),
]
