"""API: purchases (reserve and pay), confirmation of receipt, disputes."""

from django.conf import settings
from django.urls import path
from rest_framework import serializers
from rest_framework.views import APIView

from events.api import EventSummaryOutput
from listings.api import ListedTicketOutput
from marketplace.api.base import PartyOutput, client_ip, id_field, money_field, valid
from marketplace.api.envelope import ok, paginated
from marketplace.api.schema import api_doc

from .models import Dispute, Transaction
from .selectors import transaction_get_for_party, transaction_list_for_user
from .services import dispute_open, transaction_confirm, transaction_pay, transaction_purchase

TAGS = ["transactions"]


class PurchasedListingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    price = money_field()
    event = EventSummaryOutput(source="ticket.event")
    ticket = ListedTicketOutput()


class DisputeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Dispute.Reason.choices)
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Dispute.Status.choices)
    resolution_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class TransactionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.SerializerMethodField(help_text="The caller's side of the sale.")
    status = serializers.ChoiceField(choices=Transaction.Status.choices)
    payment_status = serializers.ChoiceField(choices=Transaction.PaymentStatus.choices)
    final_price = money_field(help_text="All-in: what the buyer pays.")
    platform_fee = money_field()
    seller_payout = money_field()
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    payment_gateway = serializers.CharField()
    ticket_id = serializers.IntegerField(
        source="listing.ticket_id", help_text="The buyer's ticket once paid (GET /tickets/{id})."
    )
    listing = PurchasedListingOutput()
    buyer = PartyOutput()
    seller = PartyOutput()
    reserved_until = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_role(self, txn) -> str:
        user = self.context["request"].user
        return "buyer" if txn.buyer_id == user.pk else "seller" if txn.seller_id == user.pk else ""


class PurchaseOutput(TransactionOutput):
    client_secret = serializers.CharField(
        help_text="For Stripe.js to confirm the card (when no payment_method_id was sent)."
    )
    publishable_key = serializers.CharField()


class PurchaseInput(serializers.Serializer):
    """snake_case, or the specification's listingId and paymentMethod."""

    listing_id = id_field(required=False)
    listingId = id_field(required=False)  # noqa: N815 (the specification's name)
    payment_method = serializers.CharField(max_length=32, required=False, default="card")
    paymentMethod = serializers.CharField(max_length=32, required=False)  # noqa: N815
    payment_method_id = serializers.CharField(
        max_length=255,
        required=False,
        default="",
        allow_blank=True,
        help_text="A Stripe PaymentMethod (e.g. pm_card_visa): the card is charged at once.",
    )

    def validate(self, data):
        listing_id = data.pop("listing_id", None) or data.pop("listingId", None)
        data.pop("listingId", None)
        if listing_id is None:
            raise serializers.ValidationError({"listing_id": "This field is required."})
        method = data.pop("paymentMethod", None)
        return {
            "listing_id": listing_id,
            "payment_method": method or data["payment_method"],
            "payment_method_id": data["payment_method_id"],
        }


class PayInput(serializers.Serializer):
    payment_method_id = serializers.CharField(max_length=255)


class DisputeInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Dispute.Reason.choices)
    description = serializers.CharField(max_length=4000)


class TransactionFilters(serializers.Serializer):
    role = serializers.ChoiceField(choices=["buyer", "seller"], required=False, default="")
    status = serializers.ChoiceField(choices=Transaction.Status.choices, required=False, default="")


def _transaction(request, pk: int) -> dict:
    txn = transaction_get_for_party(user=request.user, transaction_id=pk)
    return TransactionOutput(txn, context={"request": request}).data


class TransactionListApi(APIView):
    @api_doc(
        summary="My purchases and sales",
        tags=TAGS,
        response=TransactionOutput,
        paginated=True,
        operation_id="transactions_list",
        parameters=[TransactionFilters],
    )
    def get(self, request):
        filters = valid(TransactionFilters, request.query_params)
        return paginated(
            request, transaction_list_for_user(user=request.user, **filters), TransactionOutput
        )


class TransactionDetailApi(APIView):
    @api_doc(
        summary="A purchase or sale",
        description="Its buyer, its seller and staff see it; anyone else gets 404.",
        tags=TAGS,
        response=TransactionOutput,
        errors=(404,),
    )
    def get(self, request, pk: int):
        return ok(_transaction(request, pk))


class PurchaseApi(APIView):
    @api_doc(
        summary="Buy a listing",
        description=(
            "Reserves the listing for RESERVATION_MINUTES and opens a Stripe PaymentIntent "
            "for the final price (all-in). Without payment_method_id, confirm the card with "
            "Stripe.js and client_secret, or POST /transactions/{id}/pay. With it, the card "
            "is charged at once: 201 with status paid, or 402 PAYMENT_FAILED (the listing is "
            "on sale again). Someone else reserved it first: 409 TICKET_NOT_AVAILABLE."
        ),
        tags=TAGS,
        request=PurchaseInput,
        response=PurchaseOutput,
        status=201,
        errors=(402, 403, 404, 409, 410, 503),
    )
    def post(self, request):
        data = valid(PurchaseInput, request.data)
        purchase = transaction_purchase(buyer=request.user, **data, ip_address=client_ip(request))
        txn = transaction_get_for_party(user=request.user, transaction_id=purchase.transaction.pk)
        body = {
            **TransactionOutput(txn, context={"request": request}).data,
            "client_secret": purchase.client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        }
        return ok(body, status=201)


class PayApi(APIView):
    @api_doc(
        summary="Pay a reserved purchase with a card",
        tags=TAGS,
        request=PayInput,
        response=TransactionOutput,
        errors=(402, 403, 404, 409, 503),
    )
    def post(self, request, pk: int):
        data = valid(PayInput, request.data)
        transaction_pay(
            buyer=request.user, transaction_id=pk, ip_address=client_ip(request), **data
        )
        return ok(_transaction(request, pk))


class ConfirmApi(APIView):
    @api_doc(
        summary="Confirm I received the ticket",
        description="The buyer only. The sale completes and the seller's payout is scheduled.",
        tags=TAGS,
        response=TransactionOutput,
        errors=(403, 404),
    )
    def post(self, request, pk: int):
        transaction_confirm(buyer=request.user, transaction_id=pk, ip_address=client_ip(request))
        return ok(_transaction(request, pk))


class DisputeApi(APIView):
    @api_doc(
        summary="Report a problem (open a dispute)",
        description=(
            "The buyer of a paid purchase, up to DISPUTE_WINDOW_HOURS after the event. "
            "The seller's payout stays held until staff decide."
        ),
        tags=TAGS,
        request=DisputeInput,
        response=DisputeOutput,
        status=201,
        errors=(403, 404),
    )
    def post(self, request, pk: int):
        data = valid(DisputeInput, request.data)
        dispute = dispute_open(
            buyer=request.user, transaction_id=pk, ip_address=client_ip(request), **data
        )
        return ok(DisputeOutput(dispute).data, status=201)


urlpatterns = [
    path("transactions", TransactionListApi.as_view(), name="transactions"),
    path("transactions/purchase", PurchaseApi.as_view(), name="transactions-purchase"),
    path("transactions/<id:pk>", TransactionDetailApi.as_view(), name="transactions-detail"),
    path("transactions/<id:pk>/pay", PayApi.as_view(), name="transactions-pay"),
    path("transactions/<id:pk>/confirm", ConfirmApi.as_view(), name="transactions-confirm"),
    path("transactions/<id:pk>/dispute", DisputeApi.as_view(), name="transactions-dispute"),
]
