"""API: my tickets, uploading one (multipart), its file, and transfer."""

from django.conf import settings
from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.views import APIView

from events.api import EventSummaryOutput
from events.selectors import event_get_visible
from marketplace.api.base import client_ip, id_field, money_field, valid
from marketplace.api.envelope import ok, paginated
from marketplace.api.schema import ERROR_DESCRIPTIONS, ErrorEnvelope, api_doc
from marketplace.errors import RequestTooLarge

from .models import Ticket
from .selectors import ticket_get_for_owner, ticket_list_for_owner
from .services import ticket_file_open, ticket_transfer, ticket_upload

TAGS = ["tickets"]
# Room for the form fields and the multipart boundaries around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class TicketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event = EventSummaryOutput()
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices)
    section = serializers.CharField()
    row = serializers.CharField()
    seat = serializers.CharField()
    face_value = money_field()
    barcode_last4 = serializers.CharField(help_text="The barcode itself is never shown.")
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    file_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_file_url(self, ticket) -> str:
        return f"/api/v1/tickets/{ticket.pk}/file"


class TicketUploadInput(serializers.Serializer):
    event_id = id_field()
    face_value = money_field()
    barcode = serializers.CharField(max_length=128, help_text="As printed; stored as a hash.")
    file = serializers.FileField(help_text="PDF, PNG or JPEG, at most TICKET_FILE_MAX_BYTES.")
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices, required=False)
    section = serializers.CharField(max_length=50, required=False, allow_blank=True)
    row = serializers.CharField(max_length=20, required=False, allow_blank=True)
    seat = serializers.CharField(max_length=20, required=False, allow_blank=True)


class TransferInput(serializers.Serializer):
    recipient_email = serializers.EmailField(max_length=254)


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
            "The file is checked by its content (PDF, PNG or JPEG). A barcode that an "
            "active ticket of the same event already has is refused with 409 DUPLICATE_TICKET."
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
                "The upload is too large.",
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
        summary="Give a ticket to another Encore user",
        description="Not while it is listed, reserved, in escrow or void (409).",
        tags=TAGS,
        request=TransferInput,
        response=TicketOutput,
        errors=(403, 404, 409),
    )
    def post(self, request, pk: int):
        data = valid(TransferInput, request.data)
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=pk)
        ticket = ticket_transfer(
            owner=request.user,
            ticket=ticket,
            recipient_email=data["recipient_email"],
            ip_address=client_ip(request),
        )
        # The ticket is no longer the caller's: show what was given, once.
        return ok(TicketOutput(ticket).data)


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
    path("tickets/<id:pk>/transfer", TicketTransferApi.as_view(), name="tickets-transfer"),
    path("tickets/<id:pk>/file", TicketFileApi.as_view(), name="tickets-file"),
]
