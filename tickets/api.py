"""API: my tickets, uploading one (multipart), its file, and transfer."""

from django.conf import settings
from django.http import FileResponse
from django.urls import path
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.views import APIView

from events.selectors import event_get_visible
from events.serializers import EventSummaryOutput
from marketplace.core.api.base import id_field, money_field, valid
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.schema import ERROR_DESCRIPTIONS, ErrorEnvelope, api_doc
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import RequestTooLarge

from .models import Ticket
from .selectors import ticket_get_for_owner, ticket_list_for_owner
from .services import (
    ticket_file_open,
    ticket_transfer,
    ticket_transfer_cancel,
    ticket_transfer_claim,
    ticket_upload,
)

TAGS = ["tickets"]
# Room for the form fields and the multipart boundaries around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class TicketTierOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PendingTransferOutput(serializers.Serializer):
    recipient_email = serializers.EmailField()
    expires_at = serializers.DateTimeField()


class TicketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event = EventSummaryOutput()
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices)
    section = serializers.CharField()
    row = serializers.CharField()
    seat = serializers.CharField()
    tier = TicketTierOutput(
        allow_null=True, help_text=_("The organizer's price tier it was uploaded for, if any.")
    )
    face_value = money_field()
    original_fees = money_field(help_text=_("Unavoidable fees paid with it (the tier's)."))
    restrictions = serializers.CharField(help_text=_('Any restriction on its use ("" for none).'))
    organizer_ticket_number = serializers.CharField(
        help_text=_("The organizer's own number for the ticket, if it has one (not the barcode).")
    )
    barcode_last4 = serializers.CharField(help_text=_("The barcode itself is never shown."))
    barcode_source = serializers.ChoiceField(
        choices=Ticket.BarcodeSource.choices,
        help_text=_("file: read from the uploaded file; typed: the file had no readable code."),
    )
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    verification = serializers.ChoiceField(
        choices=Ticket.Verification.choices,
        help_text=_(
            "Only a verified ticket can be listed. pending_review: Encore's staff check "
            "it first (see review_reasons); rejected: it cannot be sold on Encore."
        ),
    )
    review_reasons = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[Ticket.REVIEW_NO_BARCODE_IN_FILE, Ticket.REVIEW_FACE_VALUE_HIGH]
        ),
        help_text=_("Why it waits (or waited) for staff: NO_BARCODE_IN_FILE, FACE_VALUE_HIGH."),
    )
    review_note = serializers.CharField(help_text=_("Staff's note when they rejected it."))
    file_url = serializers.SerializerMethodField()
    pending_transfer = serializers.SerializerMethodField(
        help_text=_(
            "While the ticket is offered to someone (status transfer_pending): the "
            "address it was sent to and until when it is held; else null."
        )
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_file_url(self, ticket) -> str:
        return f"/api/v1/tickets/{ticket.pk}/file"

    @extend_schema_field(PendingTransferOutput(allow_null=True))
    def get_pending_transfer(self, ticket) -> dict | None:
        email = getattr(ticket, "transfer_email", None)
        if not email:
            return None
        return PendingTransferOutput(
            {"recipient_email": email, "expires_at": ticket.transfer_expires_at}
        ).data


class TicketUploadInput(serializers.Serializer):
    event_id = id_field()
    tier_id = id_field(
        required=False,
        help_text=_(
            "Required when the event has price tiers (events/:id `tiers`): the ticket's "
            "face value and fees are the tier's."
        ),
    )
    face_value = money_field(
        required=False,
        help_text=_(
            "Only for an event without price tiers: the price printed on the ticket. "
            "Far above the event's other tickets, it waits for staff review before listing."
        ),
    )
    barcode = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        help_text=_(
            "Optional: Encore reads the barcode from the file, and refuses a typed one "
            "that differs (BARCODE_MISMATCH). Required only when the file has no readable code; "
            "the ticket then waits for staff review. Stored as a keyed hash."
        ),
    )
    file = serializers.FileField(
        help_text=_(
            "The ticket as the box office sent it: PDF (at most TICKET_DECODE_MAX_PAGES "
            "pages), PNG or JPEG, at most TICKET_FILE_MAX_BYTES. Its QR, Aztec, PDF417, Data "
            "Matrix or 1-D barcode is the proof; the same file twice is a duplicate."
        )
    )
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices, required=False)
    section = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("Stand, block or area.")
    )
    row = serializers.CharField(max_length=20, required=False, allow_blank=True)
    seat = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=_("Required for a seated ticket (ticket_type seated)."),
    )
    restrictions = serializers.CharField(
        max_length=Ticket._meta.get_field("restrictions").max_length,
        required=False,
        allow_blank=True,
        help_text=format_lazy(
            _(
                "Any restriction on use printed on the ticket, shown to buyers; common ones: "
                "{common}."
            ),
            common="; ".join(Ticket.COMMON_RESTRICTIONS),
        ),
    )
    organizer_ticket_number = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_(
            "The organizer's ticket or order number, shown to buyers. A value that is "
            "or contains the barcode is refused (IS_BARCODE)."
        ),
    )


class TransferInput(serializers.Serializer):
    recipient_email = serializers.EmailField(max_length=254)


class ClaimInput(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text=_("The code in the emailed link."))


class TicketListApi(APIView):
    @api_doc(
        summary="My tickets",
        tags=TAGS,
        response=TicketOutput,
        paginated=True,
        operation_id="tickets_list",
    )
    def get(self, request):
        return paginated(request, ticket_list_for_owner(owner=request.user), TicketOutput)


class TicketDetailApi(APIView):
    @api_doc(
        summary="One of my tickets",
        description="Other users' tickets answer 404.",
        tags=TAGS,
        response=TicketOutput,
        errors=(404,),
    )
    def get(self, request, pk: int):
        return ok(TicketOutput(ticket_get_for_owner(owner=request.user, ticket_id=pk)).data)


class TicketUploadApi(APIView):
    parser_classes = [MultiPartParser]

    @api_doc(
        summary="Upload a ticket (multipart/form-data)",
        description=(
            "The file is the proof: it is checked by its content (PDF, PNG or JPEG) and its "
            "barcode is read from it. A file, or a barcode, that an active ticket of the same "
            "event already has is refused with 409 DUPLICATE_TICKET (details.reason "
            "DUPLICATE_FILE or DUPLICATE_BARCODE). A typed barcode that differs from the "
            "file's answers 400 BARCODE_MISMATCH. A file without a readable code, or a face "
            "value far above the event's, is accepted with verification pending_review: the "
            "ticket can be listed once Encore's staff approve it."
        ),
        tags=TAGS,
        request={"multipart/form-data": TicketUploadInput},
        response=TicketOutput,
        status=201,
        errors=(403, 404, 409, 413, 415),
    )
    def post(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > (
            settings.TICKET_FILE_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
        ):
            raise RequestTooLarge(
                gettext("The upload is too large."),
                details={"field": "file", "reason": "FILE_TOO_LARGE"},
            )
        data = valid(TicketUploadInput, request.data)
        event = event_get_visible(user=request.user, event_id=data.pop("event_id"))
        ticket = ticket_upload(
            owner=request.user, event=event, **data, ip_address=client_ip(request)
        )
        return ok(
            TicketOutput(ticket_get_for_owner(owner=request.user, ticket_id=ticket.pk)).data,
            status=201,
        )


class TicketTransferApi(APIView):
    @api_doc(
        summary="Give a ticket to someone, by email address",
        description=(
            "Answers 202 alike whether or not the address has an Encore account (no account "
            "enumeration). The ticket is held for the address (status transfer_pending, "
            "pending_transfer says until when: TICKET_TRANSFER_HOLD_DAYS, at the latest the "
            "event's start) and the address is emailed a link to claim it; someone without "
            "an account is invited to sign up with that address first. Until it is claimed "
            "the sender may take it back (DELETE); unclaimed, it comes back by itself. Not "
            "while it is listed, reserved, in escrow, already offered or void, nor once the "
            "event started (409)."
        ),
        tags=TAGS,
        request=TransferInput,
        response=TicketOutput,
        status=202,
        errors=(403, 404, 409),
    )
    def post(self, request, pk: int):
        data = valid(TransferInput, request.data)
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=pk)
        ticket_transfer(
            owner=request.user,
            ticket=ticket,
            recipient_email=data["recipient_email"],
            site_url=request.build_absolute_uri("/"),
            ip_address=client_ip(request),
        )
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=pk)
        return ok(TicketOutput(ticket).data, status=202)

    @api_doc(
        summary="Take back a ticket offered to someone",
        description="The ticket is mine again, as before; the emailed link stops working.",
        tags=TAGS,
        response=TicketOutput,
        errors=(404,),
    )
    def delete(self, request, pk: int):
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=pk)
        ticket_transfer_cancel(owner=request.user, ticket=ticket, ip_address=client_ip(request))
        return ok(TicketOutput(ticket_get_for_owner(owner=request.user, ticket_id=pk)).data)


class TicketClaimApi(APIView):
    @api_doc(
        summary="Accept a ticket sent to me",
        description=(
            "With the code from the emailed link, by the account whose (confirmed) email "
            "address the ticket was sent to: the ticket becomes mine (status transferred). "
            "403 WRONG_ACCOUNT for another account, EMAIL_NOT_VERIFIED before the address "
            "is confirmed; 409 CLAIMED, CANCELLED or EXPIRED when the transfer is closed; "
            "404 for a code that matches none."
        ),
        tags=TAGS,
        request=ClaimInput,
        response=TicketOutput,
        errors=(403, 404, 409),
    )
    def post(self, request):
        data = valid(ClaimInput, request.data)
        ticket = ticket_transfer_claim(
            user=request.user, code=data["code"], ip_address=client_ip(request)
        )
        return ok(TicketOutput(ticket_get_for_owner(owner=request.user, ticket_id=ticket.pk)).data)


class TicketFileApi(APIView):
    @extend_schema(
        summary="Download my ticket's file",
        description="The file itself (PDF, PNG or JPEG), to the ticket's current owner only.",
        tags=TAGS,
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            404: OpenApiResponse(ErrorEnvelope, description=ERROR_DESCRIPTIONS[404]),
        },
    )
    def get(self, request, pk: int):
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=pk)
        handle, content_type, filename = ticket_file_open(user=request.user, ticket=ticket)
        response = FileResponse(
            handle, as_attachment=True, filename=filename, content_type=content_type
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


urlpatterns = [
    path("tickets", TicketListApi.as_view(), name="tickets"),
    path("tickets/upload", TicketUploadApi.as_view(), name="tickets-upload"),
    path("tickets/<id:pk>", TicketDetailApi.as_view(), name="tickets-detail"),
    path("tickets/claim", TicketClaimApi.as_view(), name="tickets-claim"),
    path("tickets/<id:pk>/transfer", TicketTransferApi.as_view(), name="tickets-transfer"),
    path("tickets/<id:pk>/file", TicketFileApi.as_view(), name="tickets-file"),
]
