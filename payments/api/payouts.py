"""API: the seller's payout account (Stripe Connect onboarding) and payouts."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.views import APIView

from marketplace.core.api.base import money_field, valid
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.schema import api_doc
from marketplace.core.client_ip import client_ip
from payments.models import Payout
from payments.selectors import payout_account_status, payout_list_for_seller
from payments.services import payout_account_onboard

TAGS = ["payouts"]


class PayoutAccountOutput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["none", "pending", "restricted", "enabled"],
        help_text=(
            _(
                "none: no payout account yet; pending: onboarding not finished; restricted: "
                "Stripe needs more information (requirements_due); enabled: payouts go to it."
            )
        ),
    )
    payouts_enabled = serializers.BooleanField()
    requirements_due = serializers.ListField(
        child=serializers.CharField(), help_text=_("What Stripe still needs from the seller.")
    )
    country = serializers.CharField(allow_null=True)
    default_currency = serializers.CharField(allow_null=True)


class OnboardingOutput(serializers.Serializer):
    onboarding_url = serializers.URLField(
        help_text=_("Stripe's hosted onboarding, valid a few minutes: open it in a browser.")
    )
    status = serializers.CharField()


class OnboardingInput(serializers.Serializer):
    country = serializers.CharField(
        max_length=2,
        required=False,
        default="",
        allow_blank=True,
        help_text=_("ISO code of the seller's country (when the account is opened; default IE)."),
    )


class PayoutOutput(serializers.Serializer):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    amount = money_field()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Payout.Status.choices)
    transfer_id = serializers.CharField(help_text=_("Stripe's transfer, once sent; else empty."))
    failure_reason = serializers.CharField(
        source="failure_message", help_text=_("Stripe's reason, when the transfer was refused.")
    )
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    scheduled_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class PayoutAccountApi(APIView):
    @api_doc(
        summary="My payout account",
        description=(
            "Where the seller stands with payouts: their money is transferred to their own "
            "Stripe account once the account is enabled."
        ),
        tags=TAGS,
        response=PayoutAccountOutput,
    )
    def get(self, request):
        return ok(PayoutAccountOutput(payout_account_status(user=request.user)).data)

    @api_doc(
        summary="Start or continue payout onboarding",
        description=(
            "Opens the seller's Stripe Express account (once) and answers a fresh address of "
            "Stripe's hosted onboarding, where Stripe collects identity and bank details "
            "(Encore stores none). Afterwards Stripe brings the seller back to Encore's "
            "payouts page; the account's state follows Stripe's account.updated webhook."
        ),
        tags=TAGS,
        request=OnboardingInput,
        response=OnboardingOutput,
        errors=(403, 503),
    )
    def post(self, request):
        data = valid(OnboardingInput, request.data)
        account, url = payout_account_onboard(
            user=request.user,
            country=data["country"],
            return_url=request.build_absolute_uri(reverse("payments:payout-account-return")),
            refresh_url=request.build_absolute_uri(reverse("payments:payout-account-refresh")),
            ip_address=client_ip(request),
        )
        return ok({"onboarding_url": url, "status": account.state})


class PayoutListApi(APIView):
    @api_doc(
        summary="My payouts",
        description="The seller's payouts, newest first: one per sale.",
        tags=TAGS,
        response=PayoutOutput,
        paginated=True,
        operation_id="payouts_list",
    )
    def get(self, request):
        return paginated(request, payout_list_for_seller(seller=request.user), PayoutOutput)


URLS = [
    path("users/payout-account", PayoutAccountApi.as_view(), name="payout-account"),
    path("payouts", PayoutListApi.as_view(), name="payouts"),
]
