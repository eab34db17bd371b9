"""API: search the tickets on sale, and sellers' listings."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.views import APIView

from accounts.traders import seller_kind
from events.models import Event
from events.serializers import EventSummaryOutput
from marketplace.core.api.base import (
    PartyOutput,
    id_field,
    money_field,
    money_text_field,
    valid,
)
from marketplace.core.api.cached import cached_search
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.schema import api_doc
from marketplace.core.client_ip import client_ip
from marketplace.core.versions import CATALOGUE, event_scope
from tickets.selectors import ticket_get_for_owner

from ..models import Listing, ListingReport
from ..pricing import CAP_BASES, fee_breakdown_for_listing
from ..reports import listing_report_create
from ..selectors import listing_get_visible, listing_search
from ..serializers import ListedTicketOutput, SellerKindOutput
from ..services import listing_cancel, listing_create, listing_update_price
from ..waitlist.offers import listing_lookup_current

TAGS = ["listings"]
ORDERINGS = ["price", "-price", "date", "-date"]


class FeeBreakdownOutput(serializers.Serializer):
    """The one fee breakdown: what the buyer pays (all-in) and the seller receives."""

    currency = serializers.CharField()
    face_value = money_field()
    original_fees = money_field(help_text=_("The unavoidable fees paid with the ticket."))
    original_price = money_field(help_text=_("Face value + original_fees."))
    price = money_field()
    markup_percent = serializers.DecimalField(
        max_digits=8, decimal_places=1, help_text=_("The price over the face value, in percent.")
    )
    max_markup_percent = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        help_text=_("The most the rule allows over its basis (cap_basis), in percent."),
    )
    rule = serializers.CharField(
        help_text=_('The cap that applies, in words: "UK law: at most the original price".')
    )
    cap_basis = serializers.ChoiceField(
        choices=list(CAP_BASES),
        help_text=_(
            "What the cap counts from: face_value_markup (face value + the category's "
            "markup), original_price (face value + fees, nothing more), original_price_markup "
            "(the original price + max_markup_percent)."
        ),
    )
    max_price = money_field()
    min_price = money_field()
    platform_fee_rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    platform_fee = money_field()
    seller_payout = money_field()
    buyer_total = money_field(help_text=_("All-in: the listed price is the price paid."))


# One instance each for every listing of a page: a serializer built per item
# copies its fields each time (most of a 50-listing page's cost).
_SELLER_KIND = SellerKindOutput()
_FEE_BREAKDOWN = FeeBreakdownOutput()


class ListingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Listing.Status.choices)
    price = money_field()
    currency = serializers.CharField(source="ticket.event.currency")
    price_text = money_text_field(
        amount="price",
        currency="ticket.event.currency",
        help_text=_(
            'The price as a reader of the answer\'s language writes it: "€55.00", "55,00 €".'
        ),
    )
    listed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    event = EventSummaryOutput(source="ticket.event")
    ticket = ListedTicketOutput()
    seller = PartyOutput()
    seller_kind = serializers.SerializerMethodField()
    fee_breakdown = serializers.SerializerMethodField()

    def get_seller_kind(self, listing) -> SellerKindOutput:
        return _SELLER_KIND.to_representation(seller_kind(seller=listing.seller))

    def get_fee_breakdown(self, listing) -> FeeBreakdownOutput:
        return _FEE_BREAKDOWN.to_representation(fee_breakdown_for_listing(listing))


class ListingCreateInput(serializers.Serializer):
    ticket_id = id_field()
    price = money_field()
    expires_at = serializers.DateTimeField(
        required=False, help_text=_("Default: the event's start.")
    )


class ListingUpdateInput(serializers.Serializer):
    price = money_field()


class ListingFilters(serializers.Serializer):
    event_id = id_field(required=False, allow_null=True, default=None)
    category = serializers.ChoiceField(choices=Event.Category.choices, required=False, default="")
    # allow_blank: a city box left with only spaces does not filter (not a 400).
    city = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    min_price = money_field(required=False, allow_null=True, default=None, min_value=0)
    max_price = money_field(required=False, allow_null=True, default=None, min_value=0)
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="price")


def _listing(request, pk: int) -> dict:
    return ListingOutput(listing_get_visible(user=request.user, listing_id=pk)).data


class ListingListApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @api_doc(
        summary="Search tickets on sale",
        description="Active listings of upcoming published events; cheapest first by default.",
        tags=TAGS,
        response=ListingOutput,
        paginated=True,
        operation_id="listings_list",
        parameters=[ListingFilters],
        auth=False,
    )
    def get(self, request):
        filters = valid(ListingFilters, request.query_params)
        # One event's tickets change only with that event; other searches with
        # any listing (marketplace/core/api/cached.py).
        event_id = filters["event_id"]
        return cached_search(
            request,
            filters=filters,
            scopes=(event_scope(event_id),) if event_id else (CATALOGUE,),
            build=lambda: paginated(request, listing_search(**filters), ListingOutput),
        )

    @api_doc(
        summary="List one of my tickets for sale",
        description=(
            "The price must lie within the caps: at most face value x (1 + the category's "
            "markup), or where a resale law applies the original price (face value + the "
            "unavoidable fees: GB, and events flagged resale_at_original_price such as "
            "Ireland's designated events) or 10% above it (AU); at least 80% of face value. "
            "A refused price answers 400 VALIDATION_ERROR with details {field, reason, "
            "maxAllowed | minAllowed, provided}. A seller lists at most the event's "
            "primary_purchase_limit of its tickets (on sale, being bought or sold): beyond, "
            "400 VALIDATION_ERROR {field: ticket, reason: RESALE_LIMIT_REACHED, limit}."
        ),
        tags=TAGS,
        request=ListingCreateInput,
        response=ListingOutput,
        status=201,
        errors=(403, 404, 409),
    )
    def post(self, request):
        data = valid(ListingCreateInput, request.data)
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=data.pop("ticket_id"))
        listing = listing_create(
            seller=request.user, ticket=ticket, **data, ip_address=client_ip(request)
        )
        return ok(_listing(request, listing.pk), status=201)


class ListingDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @api_doc(
        summary="A listing",
        description=(
            "A listing on sale is public; its seller and staff see it whatever its status. "
            "Anyone else asking for one no longer on sale learns why: 410 LISTING_EXPIRED "
            "with details {reason: SOLD | WITHDRAWN | ENDED, event_id} (the event's other "
            "tickets: GET /listings?event_id=), or 409 TICKET_NOT_AVAILABLE with details "
            "{reason: RESERVED, event_id} while a buyer pays for it or it is held for a fan "
            "on the waiting list (it may come back on sale). 404 NOT_FOUND for a listing "
            "that never existed."
        ),
        tags=TAGS,
        response=ListingOutput,
        errors=(404, 409, 410),
        auth=False,
    )
    def get(self, request, pk: int):
        # An offer from the waiting list whose time is up moves on first.
        lookup = listing_lookup_current(user=request.user, listing_id=pk)
        if (error := lookup.error()) is not None:
            raise error
        return ok(ListingOutput(lookup.listing).data)

    @api_doc(
        summary="Change my listing's price",
        description="Checked against the caps again. Not while a buyer is paying (409).",
        tags=TAGS,
        request=ListingUpdateInput,
        response=ListingOutput,
        errors=(404, 409),
    )
    def put(self, request, pk: int):
        data = valid(ListingUpdateInput, request.data)
        listing = listing_get_visible(user=request.user, listing_id=pk)
        listing_update_price(
            seller=request.user, listing=listing, price=data["price"], ip_address=client_ip(request)
        )
        return ok(_listing(request, pk))

    patch = put  # PATCH is PUT: only the price changes.

    @api_doc(
        summary="Take my listing off sale",
        description="The seller, or staff moderating. Not while a buyer is paying (409).",
        tags=TAGS,
        response=ListingOutput,
        errors=(404, 409),
    )
    def delete(self, request, pk: int):
        listing = listing_get_visible(user=request.user, listing_id=pk)
        listing_cancel(actor=request.user, listing=listing, ip_address=client_ip(request))
        return ok(_listing(request, pk))


class ListingReportInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ListingReport.Reason.choices)
    text = serializers.CharField(
        max_length=ListingReport.TEXT_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    email = serializers.EmailField(
        max_length=254,
        required=False,
        default="",
        allow_blank=True,
        help_text=_("Required without a token: where the decision and its reasons are sent."),
    )


class ListingReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    listing_id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ListingReport.Reason.choices)
    status = serializers.ChoiceField(choices=ListingReport.Status.choices)
    created_at = serializers.DateTimeField()


class ListingReportApi(APIView):
    # Anyone may send a notice (EU Digital Services Act, Art. 16); a visitor
    # without a token gives an email address for the statement of reasons.
    permission_classes = [AllowAny]

    @api_doc(
        summary="Report a listing",
        description=(
            "Sends a notice to Encore's staff, who decide (upheld: the listing is removed; "
            "rejected) and email a statement of reasons to the reporter and the seller. "
            "The token is optional: without one, `email` is required. Refused with 400 "
            "VALIDATION_ERROR for one's own listing (reason OWN_LISTING) or while the same "
            "reporter's earlier report is open (ALREADY_REPORTED)."
        ),
        tags=TAGS,
        request=ListingReportInput,
        response=ListingReportOutput,
        status=201,
        errors=(404,),
        auth=False,
    )
    def post(self, request, pk: int):
        data = valid(ListingReportInput, request.data)
        listing = listing_get_visible(user=request.user, listing_id=pk)
        report = listing_report_create(
            reporter=request.user if request.user.is_authenticated else None,
            listing=listing,
            ip_address=client_ip(request),
            **data,
        )
        return ok(ListingReportOutput(report).data, status=201)


urlpatterns = [
    path("listings", ListingListApi.as_view(), name="listings"),
    path("listings/<id:pk>", ListingDetailApi.as_view(), name="listings-detail"),
    path("listings/<id:pk>/report", ListingReportApi.as_view(), name="listings-report"),
]
