"""API: purchases (reserve and pay, with 3-D Secure), confirmation of receipt, disputes."""

from django.conf import settings
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from events.serializers import EventSummaryOutput
from listings.serializers import ListedTicketOutput
from marketplace.core.api.base import PartyOutput, id_field, money_field, valid
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from marketplace.core.api.schema import api_doc
from marketplace.core.client_ip import client_ip
from payments.models import BUYER_DISPUTE_REASONS, Dispute, Transaction
from payments.selectors import (
    TransactionView,
    transaction_get_for_party,
    transaction_list_for_user,
    transaction_view_for,
)
from payments.services import (
    dispute_open,
    reservation_extend,
    transaction_confirm,
    transaction_pay,
    transaction_postponement_refund,
    transaction_purchase,
)

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


class TransactionActionOutput(serializers.Serializer):
    allowed = serializers.BooleanField(help_text=_("Whether the caller may do it now."))
    until = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            _(
                "While allowed, the moment it stops being allowed when the clock ends it (the "
                "reservation's end, the dispute window's close); null when it is not allowed or "
                "has no deadline."
            )
        ),
    )


class TransactionActionsOutput(serializers.Serializer):
    """What the caller may do on this transaction now, and until when: the same
    answer as the transaction's page on the site."""

    pay = TransactionActionOutput(
        help_text=(
            _(
                "POST /transactions/{id}/pay (or Stripe.js with the client_secret): the buyer, "
                "while the reservation runs; until is its end (reserved_until)."
            )
        )
    )
    extend = TransactionActionOutput(
        help_text=(
            _(
                "POST /transactions/{id}/extend: the buyer, once per reservation, in its last "
                '3 minutes ("I need more time"): reserved_until moves 15 minutes later. '
                "until is the reservation's current end."
            )
        )
    )
    confirm = TransactionActionOutput(
        help_text=(
            _(
                "POST /transactions/{id}/confirm: the buyer of a paid purchase. No deadline of its "
                "own: the sale completes by itself at deadlines.auto_confirm_at."
            )
        )
    )
    dispute = TransactionActionOutput(
        help_text=(
            _(
                "POST /transactions/{id}/dispute: the buyer of a paid purchase, up to "
                "DISPUTE_WINDOW_HOURS after the event (until). Not allowed once disputed, "
                "completed or refunded, nor after the window closed."
            )
        )
    )
    message = TransactionActionOutput(
        help_text=(
            _(
                "POST /messages: the buyer and the seller, unless the purchase was cancelled. "
                "Staff read the thread; they do not write in it."
            )
        )
    )
    download_ticket = TransactionActionOutput(
        help_text=(
            _(
                "GET /tickets/{ticket_id}/file: the buyer, once paid, while the ticket is in "
                "their account."
            )
        )
    )
    postponement_refund = TransactionActionOutput(
        help_text=(
            _(
                "POST /transactions/{id}/postponement-refund: the buyer of a paid purchase whose "
                "event moved to another date or time after the payment may choose a full refund "
                "instead, until POSTPONEMENT_REFUND_DAYS (14) after the move and never after the "
                "new start (until)."
            )
        )
    )


class TransactionDeadlinesOutput(serializers.Serializer):
    """The moments that still change the transaction; null once they no longer can."""

    reservation_ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            _(
                "Awaiting payment: the reservation ends and the ticket goes back on sale, "
                "unless paid by then."
            )
        ),
    )
    dispute_window_closes_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            _(
                "Awaiting payment or paid: the last moment the buyer may report a problem "
                "(DISPUTE_WINDOW_HOURS after the event)."
            )
        ),
    )
    auto_confirm_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            _(
                "Paid: the sale completes by itself and the seller is paid, if the buyer neither "
                "confirms nor reports a problem before (AUTO_CONFIRM_HOURS after the event)."
            )
        ),
    )


class TransactionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    # One enum, TransactionRoleEnum (SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES),
    # on both components that show it (Transaction, Payment).
    role = serializers.SerializerMethodField(
        help_text=_("The caller's side of the sale: buyer, seller, or staff (who see any sale).")
    )
    status = serializers.ChoiceField(choices=Transaction.Status.choices)
    payment_status = serializers.ChoiceField(choices=Transaction.PaymentStatus.choices)
    final_price = money_field(help_text=_("All-in: what the buyer pays."))
    platform_fee = money_field()
    seller_payout = money_field()
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    payment_gateway = serializers.CharField()
    ticket_id = serializers.IntegerField(
        source="listing.ticket_id", help_text=_("The buyer's ticket once paid (GET /tickets/{id}).")
    )
    listing = PurchasedListingOutput()
    buyer = PartyOutput()
    seller = PartyOutput()
    reserved_until = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    actions = serializers.SerializerMethodField(
        help_text=_("What the caller may do now (allowed) and until when (until).")
    )
    deadlines = serializers.SerializerMethodField(
        help_text=_(
            "When the reservation ends, the dispute window closes and the sale completes "
            "by itself; null where that no longer applies."
        )
    )

    def to_representation(self, txn):
        # One answer per transaction for role, actions and deadlines (no query).
        self._view: TransactionView = transaction_view_for(
            user=self.context["request"].user, transaction=txn
        )
        return super().to_representation(txn)

    @extend_schema_field({"type": "string", "enum": ["buyer", "seller", "staff"]})
    def get_role(self, txn) -> str:
        return self._view.role

    @extend_schema_field(TransactionActionsOutput)
    def get_actions(self, txn) -> dict:
        return TransactionActionsOutput(self._view.actions).data

    @extend_schema_field(TransactionDeadlinesOutput)
    def get_deadlines(self, txn) -> dict:
        return TransactionDeadlinesOutput(self._view.deadlines).data


class PaymentOutput(TransactionOutput):
    client_secret = serializers.CharField(
        help_text=(
            _(
                "The PaymentIntent's client secret, for Stripe.js or Stripe's mobile SDKs: to "
                "confirm the card when no payment_method_id was sent, or to run the card holder's "
                "authentication when payment_status is requires_action."
            )
        )
    )
    next_action = serializers.JSONField(
        allow_null=True,
        help_text=(
            _(
                "Stripe's next_action when payment_status is requires_action (3-D Secure): hand "
                "client_secret to Stripe's SDK (stripe.handleNextAction, or handleNextAction in "
                "the iOS/Android SDKs). The transaction turns paid when Stripe reports the payment "
                "(its webhook); GET /transactions/{id} shows it. Null otherwise."
            )
        ),
    )
    publishable_key = serializers.CharField()


def _payment_body(request, purchase) -> dict:
    txn = transaction_get_for_party(user=request.user, transaction_id=purchase.transaction.pk)
    return {
        **TransactionOutput(txn, context={"request": request}).data,
        "client_secret": purchase.client_secret,
        "next_action": purchase.next_action,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }


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
        trim_whitespace=False,
        help_text=(
            _(
                "A Stripe PaymentMethod (pm_..., e.g. pm_card_visa in test mode): the card is "
                "charged at once. A card that needs authentication answers payment_status "
                "requires_action with next_action."
            )
        ),
    )

    def validate(self, data):
        listing_id = data.pop("listing_id", None) or data.pop("listingId", None)
        data.pop("listingId", None)
        if listing_id is None:
            raise serializers.ValidationError({"listing_id": gettext("This field is required.")})
        method = data.pop("paymentMethod", None)
        return {
            "listing_id": listing_id,
            "payment_method": method or data["payment_method"],
            "payment_method_id": data["payment_method_id"],
        }


class PayInput(serializers.Serializer):
    payment_method_id = serializers.CharField(max_length=255, trim_whitespace=False)


class DisputeInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=BUYER_DISPUTE_REASONS)
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
            "is charged at once: 201 with status paid; or 201 with payment_status "
            "requires_action, client_secret and next_action when the card holder's bank asks "
            "for authentication (3-D Secure: complete it with Stripe's SDK; the transaction "
            "turns paid from Stripe's webhook); or 402 PAYMENT_FAILED (declined: the listing "
            "is on sale again). Someone else reserved it first: 409 TICKET_NOT_AVAILABLE. "
            "Send an Idempotency-Key to retry safely."
        ),
        tags=TAGS,
        request=PurchaseInput,
        response=PaymentOutput,
        status=201,
        errors=(402, 403, 404, 409, 410, 422, 503),
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        data = valid(PurchaseInput, request.data)
        purchase = transaction_purchase(buyer=request.user, **data, ip_address=client_ip(request))
        return ok(_payment_body(request, purchase), status=201)


class PayApi(APIView):
    @api_doc(
        summary="Pay a reserved purchase with a card",
        description=(
            "Charges the card for a reservation that is still running: 200 with status paid, "
            "or with payment_status requires_action, client_secret and next_action when the "
            "card holder must authenticate (3-D Secure). After a failed authentication, pay "
            "again (the same card or another) while the reservation lasts; after "
            "PAYMENT_ATTEMPTS_MAX attempts, or a declined card, the ticket goes back on sale "
            "(402). Send an Idempotency-Key to retry safely."
        ),
        tags=TAGS,
        request=PayInput,
        response=PaymentOutput,
        errors=(402, 403, 404, 409, 422, 503),
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        data = valid(PayInput, request.data)
        payment = transaction_pay(
            buyer=request.user, transaction_id=pk, ip_address=client_ip(request), **data
        )
        return ok(_payment_body(request, payment))


class ExtendApi(APIView):
    @api_doc(
        summary="I need more time: extend the reservation once",
        description=(
            "The buyer of a reservation awaiting payment, once, in its last 3 minutes: "
            "reserved_until (and deadlines.reservation_ends_at) move 15 minutes later; the "
            "PaymentIntent is unchanged. actions.extend says when it is allowed. Refused with "
            "400 VALIDATION_ERROR, reason EXTENSION_TOO_EARLY (details.availableAt: the first "
            "moment it is possible) or ALREADY_EXTENDED; with 409 TICKET_NOT_AVAILABLE when "
            "the reservation has expired (reason RESERVATION_EXPIRED) or is no longer awaiting "
            "payment."
        ),
        tags=TAGS,
        response=TransactionOutput,
        errors=(400, 403, 404, 409),
    )
    def post(self, request, pk: int):
        reservation_extend(buyer=request.user, transaction_id=pk, ip_address=client_ip(request))
        return ok(_transaction(request, pk))


class PostponementRefundApi(APIView):
    @api_doc(
        summary="The event moved: refund me instead",
        description=(
            "The buyer of a paid purchase (money still held by Encore) whose event moved to "
            "another date or time after the payment chooses a full refund instead of the new "
            "date: Stripe refunds the card, the ticket is void, the seller's payout cancelled, "
            "and status becomes refunded. Allowed for POSTPONEMENT_REFUND_DAYS (14) after the "
            "move and before the new start: actions.postponement_refund says until when. "
            "Refused with 400 VALIDATION_ERROR, reason POSTPONEMENT_REFUND_CLOSED (details."
            "closedAt), EVENT_NOT_MOVED, NOT_REFUNDABLE (not paid, or no longer held) or "
            "CHARGEBACK_OPEN; 402 or 503 when Stripe refuses or is unreachable (nothing "
            "changed: try again)."
        ),
        tags=TAGS,
        response=TransactionOutput,
        errors=(400, 402, 403, 404, 503),
    )
    def post(self, request, pk: int):
        transaction_postponement_refund(
            buyer=request.user, transaction_id=pk, ip_address=client_ip(request)
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


URLS = [
    path("transactions", TransactionListApi.as_view(), name="transactions"),
    path("transactions/purchase", PurchaseApi.as_view(), name="transactions-purchase"),
    path("transactions/<id:pk>", TransactionDetailApi.as_view(), name="transactions-detail"),
    path("transactions/<id:pk>/pay", PayApi.as_view(), name="transactions-pay"),
    path("transactions/<id:pk>/extend", ExtendApi.as_view(), name="transactions-extend"),
    path("transactions/<id:pk>/confirm", ConfirmApi.as_view(), name="transactions-confirm"),
    path(
        "transactions/<id:pk>/postponement-refund",
        PostponementRefundApi.as_view(),
        name="transactions-postponement-refund",
    ),
    path("transactions/<id:pk>/dispute", DisputeApi.as_view(), name="transactions-dispute"),
]
