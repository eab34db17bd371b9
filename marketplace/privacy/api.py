"""API: a copy of my data, and deleting my account (the same services as the
profile's pages)."""

from django.urls import path
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.core.api.base import valid
from marketplace.core.api.envelope import ok
from marketplace.core.api.schema import api_doc

from .deletion import account_delete_by_owner
from .export import user_data_export

USERS = ["users"]


def _section(help_text):
    return serializers.ListField(child=serializers.DictField(), help_text=help_text)


class DataExportOutput(serializers.Serializer):
    """Everything Encore keeps that is the account's. Other people appear by
    their public name only; money is a string, times are ISO 8601."""

    format_version = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    profile = serializers.DictField(
        help_text=gettext_lazy(
            "The account's fields, preferences, language, email addresses, kinds of "
            "two-step login, trader declaration and payout account."
        )
    )
    tickets = _section(gettext_lazy("The tickets the account holds."))
    ticket_transfers = _section(gettext_lazy("Tickets given or received."))
    listings = _section(gettext_lazy("Every listing the account made."))
    purchases = _section(
        gettext_lazy("Purchases, with the seller's public name, refunds and disputes.")
    )
    sales = _section(gettext_lazy("Sales, with the buyer's public name, fee, payout and disputes."))
    disputes_opened = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Ids of disputes it opened.")
    )
    messages = _section(
        gettext_lazy('Messages in its threads; "from" is "me" or the other party\'s public name.')
    )
    notifications = _section(gettext_lazy("Its notifications."))
    emails = _section(gettext_lazy("The emails Encore sent it (subject and status)."))
    waiting_lists = _section(gettext_lazy("Waiting list entries and the offers made to it."))
    reports = serializers.DictField(
        help_text=gettext_lazy("Reports it made, and decisions on reports about its listings.")
    )
    sessions = serializers.DictField(help_text=gettext_lazy("API and site sessions."))
    audit_log = _section(gettext_lazy("Audit trail rows about it: ids, actions and times."))


class AccountDeleteInput(serializers.Serializer):
    password = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        write_only=True,
        help_text=gettext_lazy("The account's password: a token alone does not delete it."),
    )


class DataExportApi(APIView):
    @api_doc(
        summary="Download my data",
        description=(
            "One JSON document of everything Encore keeps about the account: profile, "
            "tickets, listings, purchases and sales with their payouts, refunds and disputes, "
            "messages, notifications, waiting lists, reports, sessions and the ids and actions "
            "of the audit trail about it. Nothing of anyone else's beyond the other party's "
            "public name. The profile's page offers the same file."
        ),
        tags=USERS,
        response=DataExportOutput,
    )
    def get(self, request):
        return ok(user_data_export(user=request.user))


class AccountApi(APIView):
    @api_doc(
        summary="Delete my account",
        description=(
            'The JSON body carries the account\'s password: {"password": "..."} (a token '
            "alone deletes nothing). Erases the account's personal data and ends every "
            "session and token at once (204). Refused with 409 while money is still moving "
            "for the account "
            "(ACCOUNT_HAS_ESCROW: a purchase or sale not completed, cancelled or refunded, or "
            "a payout not paid yet) or a dispute about one of its sales is open "
            "(ACCOUNT_HAS_OPEN_DISPUTE); details.transactions lists them. A wrong password "
            "answers 400 VALIDATION_ERROR {field: password, reason: WRONG_PASSWORD}. "
            "Purchases, sales and payouts stay in Encore's books, by id."
        ),
        tags=USERS,
        request=AccountDeleteInput,
        response=None,
        status=204,
        errors=(409,),
    )
    def delete(self, request):
        data = valid(AccountDeleteInput, request.data)
        account_delete_by_owner(user=request.user, password=data["password"])
        return Response(status=204)


urlpatterns = [
    path("users/me", AccountApi.as_view(), name="users-me"),
    path("users/me/export", DataExportApi.as_view(), name="users-me-export"),
]
