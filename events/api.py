"""API: the event catalogue, and events managed by their organizers."""

from decimal import Decimal

from django.urls import path
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.views import APIView

from marketplace.core.api.base import (
    LocalTimeField,
    PartyOutput,
    UrlOutputField,
    id_field,
    money_field,
    valid,
)
from marketplace.core.api.cached import cached_search
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.schema import api_doc
from marketplace.core.client_ip import client_ip
from marketplace.core.versions import CATALOGUE

from .images import event_picture_url
from .models import Event
from .selectors import event_get_visible, event_search
from .serializers import EventSummaryOutput
from .services import (
    PURCHASE_LIMIT_MAX,
    TIERS_MAX,
    VENUE_CAPACITY_MAX,
    event_create,
    event_update,
)

TAGS = ["events"]


class PriceTierOutput(serializers.Serializer):
    """A price the organizer declared: tickets uploaded for it take this face value."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    face_value = money_field()
    fees = money_field(help_text=_("Unavoidable fees per ticket (booking, service, facility)."))
    original_price = money_field(
        help_text=_("What a fan paid at the box office: face value + fees.")
    )


class EventOutput(EventSummaryOutput):
    description = serializers.CharField()
    location = serializers.CharField()
    postal_code = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    image_url = UrlOutputField()
    picture_url = serializers.SerializerMethodField(
        help_text=_(
            "The absolute address of the event's picture: the one its organizer uploaded (a "
            "JPEG about 960 pixels wide), else image_url when its host is allowed; null "
            "without either. Pictures are uploaded on the site's event form."
        )
    )
    metadata = serializers.DictField()
    organizer = PartyOutput()
    tiers = PriceTierOutput(
        many=True,
        source="price_tiers.all",
        help_text=_(
            "The event's price tiers. When there are any, an upload chooses one "
            "(tier_id) instead of typing a face value."
        ),
    )
    venue_capacity = serializers.IntegerField(
        allow_null=True, help_text=_("How many people the venue holds, if known.")
    )
    resale_at_original_price = serializers.BooleanField(
        help_text=_(
            "Designated: resale at most at the original price (face value + unavoidable "
            "fees). On by itself for Irish venues of 1,000 people or more (Sale of Tickets Act "
            "2021); set by Encore's staff otherwise."
        )
    )
    primary_purchase_limit = serializers.IntegerField(
        help_text=_(
            "The most tickets one fan could buy from the organizer: no seller lists "
            "more of this event's tickets on Encore."
        )
    )
    listing_count = serializers.IntegerField(help_text=_("Tickets on sale now."))
    lowest_price = money_field(allow_null=True, help_text=_("The cheapest ticket on sale."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_picture_url(self, event) -> str | None:
        return event_picture_url(event)


class PriceTierInput(serializers.Serializer):
    id = id_field(
        required=False,
        help_text=_("An existing tier of this event, to change it; none to add one."),
    )
    name = serializers.CharField(max_length=100)
    face_value = money_field(min_value=Decimal("0.01"))
    fees = money_field(
        required=False, min_value=Decimal("0.00"), help_text=_("Unavoidable fees; default 0.00.")
    )


TIERS_HELP = _(
    "The event's price tiers: name, face value and unavoidable fees. Sent on an update, "
    "the list replaces the tiers (keep an existing one by its id; a tier that tickets "
    "were uploaded for cannot be removed). Tickets uploaded for the event choose a tier, "
    "and so have a verified face value."
)


class EventInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    event_date = serializers.DateField()
    event_time = LocalTimeField(required=False, allow_null=True)
    location = serializers.CharField(max_length=255, required=False, allow_blank=True)
    venue_name = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$", help_text=_("ISO 3166-1 alpha-2, e.g. IE."), max_length=2
    )
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )
    status = serializers.ChoiceField(
        choices=[Event.Status.DRAFT, Event.Status.PUBLISHED], required=False
    )
    category = serializers.ChoiceField(choices=Event.Category.choices, required=False)
    metadata = serializers.DictField(required=False)
    image_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_(
            "The venue's IANA time zone, e.g. Europe/Berlin: event_time is read on "
            "this clock, and sales close at the start. Blank or absent: the country's zone; a "
            "country with several zones (US, AU, CA, ES, PT...) must name one "
            "(400 VALIDATION_ERROR, details.field time_zone, reason REQUIRED)."
        ),
    )
    venue_capacity = serializers.IntegerField(
        min_value=1,
        max_value=VENUE_CAPACITY_MAX,
        required=False,
        allow_null=True,
        help_text=_(
            "How many people the venue holds. In Ireland, 1,000 or more designates the "
            "event: resale at most at the original price."
        ),
    )
    primary_purchase_limit = serializers.IntegerField(
        min_value=1,
        max_value=PURCHASE_LIMIT_MAX,
        required=False,
        help_text=_(
            "The most tickets one fan could buy in the primary sale (default 6): no "
            "seller lists more of this event's tickets on Encore."
        ),
    )
    resale_at_original_price = serializers.BooleanField(
        required=False,
        help_text=_(
            "Staff only (403 otherwise): designate the event, resale at most at the "
            "original price. Refused while tickets are on sale above the new cap (400 "
            "HAS_LISTINGS)."
        ),
    )
    tiers = PriceTierInput(many=True, required=False, max_length=TIERS_MAX, help_text=TIERS_HELP)

    def validate_country(self, value):
        return value.upper()


class EventUpdateInput(EventInput):
    """Every field optional; the status may also become cancelled or completed."""

    status = serializers.ChoiceField(choices=Event.Status.choices, required=False)
    currency = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class EventFilters(serializers.Serializer):
    # allow_blank: a search box left with only spaces does not filter (not a 400).
    q = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    category = serializers.ChoiceField(choices=Event.Category.choices, required=False, default="")
    city = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, default="", allow_blank=True)
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)


class EventListApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @api_doc(
        summary="Search published events",
        description="Upcoming events by default (date_from = today), soonest first.",
        tags=TAGS,
        response=EventOutput,
        paginated=True,
        operation_id="events_list",
        parameters=[EventFilters],
        auth=False,
    )
    def get(self, request):
        filters = valid(EventFilters, request.query_params)
        # Served from the cache until an event or a listing changes
        # (marketplace/core/api/cached.py): the counts and lowest prices follow them.
        return cached_search(
            request,
            filters=filters,
            scopes=(CATALOGUE,),
            build=lambda: paginated(
                request, event_search(**filters).prefetch_related("price_tiers"), EventOutput
            ),
        )

    @api_doc(
        summary="Create an event (organizers and admins)",
        description="The organizer is the caller. Status draft (default) or published.",
        tags=TAGS,
        request=EventInput,
        response=EventOutput,
        status=201,
        errors=(403,),
    )
    def post(self, request):
        data = valid(EventInput, request.data)
        event = event_create(organizer=request.user, **data, ip_address=client_ip(request))
        event = event_get_visible(user=request.user, event_id=event.pk)
        return ok(EventOutput(event).data, status=201)


class EventDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @api_doc(
        summary="An event",
        description="Drafts are visible to their organizer and staff only.",
        tags=TAGS,
        response=EventOutput,
        errors=(404,),
        auth=False,
    )
    def get(self, request, pk: int):
        return ok(EventOutput(event_get_visible(user=request.user, event_id=pk)).data)

    @api_doc(
        summary="Change an event (its organizer or an admin)",
        tags=TAGS,
        request=EventUpdateInput,
        response=EventOutput,
        errors=(403, 404),
    )
    def patch(self, request, pk: int):
        event = event_get_visible(user=request.user, event_id=pk)
        data = valid(EventUpdateInput, request.data)
        event_update(actor=request.user, event=event, ip_address=client_ip(request), **data)
        return ok(EventOutput(event_get_visible(user=request.user, event_id=pk)).data)

    put = patch  # PUT changes only the fields sent, like PATCH.


urlpatterns = [
    path("events", EventListApi.as_view(), name="events"),
    path("events/<id:pk>", EventDetailApi.as_view(), name="events-detail"),
]
