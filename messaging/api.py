"""API: the message thread of a transaction between its buyer and seller."""

from django.conf import settings
from django.urls import path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.views import APIView

from marketplace.core.api.base import id_field, valid
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.schema import api_doc
from marketplace.core.client_ip import client_ip
from payments.selectors import transaction_get_for_party

from .selectors import message_get_for_party, message_thread
from .services import message_mark_read, message_send

TAGS = ["messages"]


class SenderOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id", help_text=_("The sender's public id."))
    name = serializers.CharField(source="public_name")


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    sender = SenderOutput()
    mine = serializers.SerializerMethodField(help_text=_("Whether the caller sent it."))
    body = serializers.CharField(help_text=_("Contact details and payment links are masked."))
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_mine(self, message) -> bool:
        return message.sender_id == self.context["request"].user.pk


class MessageInput(serializers.Serializer):
    transaction_id = id_field()
    # No max_length here: message_send owns the rule (it counts the text
    # without surrounding whitespace, as the site does) and refuses with
    # details {field, reason EMPTY or TOO_LONG, maxLength, provided}.
    body = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=format_lazy(
            _("1 to MESSAGE_MAX_LENGTH ({max_length}) characters."),
            max_length=settings.MESSAGE_MAX_LENGTH,
        ),
    )


class ThreadApi(APIView):
    @api_doc(
        summary="The messages of a purchase, oldest first",
        description="For its buyer, its seller and staff; anyone else gets 404.",
        tags=TAGS,
        response=MessageOutput,
        paginated=True,
        errors=(404,),
    )
    def get(self, request, transaction_id: int):
        txn = transaction_get_for_party(user=request.user, transaction_id=transaction_id)
        return paginated(request, message_thread(user=request.user, transaction=txn), MessageOutput)


class MessageSendApi(APIView):
    @api_doc(
        summary="Write to the other party of a purchase",
        description=(
            "Email addresses, phone numbers, IBANs and payment links are masked before the "
            "message is stored. The other party is notified."
        ),
        tags=TAGS,
        request=MessageInput,
        response=MessageOutput,
        status=201,
        errors=(403, 404),
    )
    def post(self, request):
        data = valid(MessageInput, request.data)
        txn = transaction_get_for_party(user=request.user, transaction_id=data["transaction_id"])
        message = message_send(
            sender=request.user, transaction=txn, body=data["body"], ip_address=client_ip(request)
        )
        return ok(MessageOutput(message, context={"request": request}).data, status=201)


class MessageReadApi(APIView):
    @api_doc(
        summary="Mark a message read",
        description="The recipient only; idempotent.",
        tags=TAGS,
        response=MessageOutput,
        errors=(404,),
    )
    def post(self, request, pk: int):
        message = message_get_for_party(user=request.user, message_id=pk)
        message = message_mark_read(user=request.user, message=message)
        message = message_get_for_party(user=request.user, message_id=pk)
        return ok(MessageOutput(message, context={"request": request}).data)

    put = post  # PUT marks read too, like POST.


urlpatterns = [
    path("messages", MessageSendApi.as_view(), name="messages"),
    path("messages/<id:transaction_id>", ThreadApi.as_view(), name="messages-thread"),
    path("messages/<id:pk>/read", MessageReadApi.as_view(), name="messages-read"),
]
