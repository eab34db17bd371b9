"""The seller's money: "Get paid" (Stripe Connect onboarding) and My payouts.

"Get paid" opens the seller's Stripe Express account and sends them to
Stripe's hosted onboarding; Stripe brings them back to `payout_account_return`
(which reads the account again) or, if the link expired, to
`payout_account_refresh` (which makes a new one).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.core.client_ip import client_ip
from marketplace.core.countries import country_name
from marketplace.core.errors import DomainError, ServiceUnavailable
from marketplace.core.forms import form_error_from
from marketplace.core.pagination import BoundedPaginator
from payments.forms import PayoutAccountForm
from payments.selectors import (
    payout_account_status,
    payout_list_for_seller,
    payout_totals_for_seller,
)
from payments.services import payout_account_onboard, payout_account_sync

PER_PAGE = 20
STRIPE_DOWN_MESSAGE = gettext_lazy(
    "Stripe, our payment partner, cannot be reached right now. Please try again in a few minutes."
)


def _render(request, *, form=None, status=200):
    account = payout_account_status(user=request.user)
    page = BoundedPaginator(payout_list_for_seller(seller=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "account": account,
        "country_name": country_name(account.country) if account.country else "",
        "totals": payout_totals_for_seller(seller=request.user),
        "form": form or PayoutAccountForm(),
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
    }
    response = render(request, "payments/payouts.html", context, status=status)
    # Its "Get paid" form is answered by a redirect to Stripe's hosted
    # onboarding: the page's Content-Security-Policy allows that origin.
    response.stripe_onboarding = True
    return response


def _onboard(request, country: str = ""):
    """A fresh onboarding address at Stripe for the seller, then go there."""
    _, url = payout_account_onboard(
        user=request.user,
        country=country,
        return_url=request.build_absolute_uri(reverse("payments:payout-account-return")),
        refresh_url=request.build_absolute_uri(reverse("payments:payout-account-refresh")),
        ip_address=client_ip(request),
    )
    return redirect(url)


@require_http_methods(["GET", "POST"])
@login_required
def my_payouts(request):
    """The onboarding state, the money held, scheduled, paid and failed, and
    each payout with its sale; POST is "Get paid" (or "Update payout details")."""
    if request.method == "GET":
        return _render(request)
    form = PayoutAccountForm(request.POST)
    if form.is_valid():
        try:
            return _onboard(request, form.cleaned_data["country"])
        except ServiceUnavailable:
            messages.error(request, STRIPE_DOWN_MESSAGE)
        except DomainError as exc:
            form_error_from(form, exc)
    return _render(request, form=form)


@require_GET
@login_required
def payout_account_return(request):
    """Stripe brings the seller back from onboarding: read the account at once
    (the webhook may come later) and say where it stands."""
    try:
        account = payout_account_sync(user=request.user)
    except ServiceUnavailable:
        messages.warning(request, STRIPE_DOWN_MESSAGE)
        return redirect("payments:payouts")
    if account is not None and account.can_receive:
        messages.success(request, _("Your payout account is ready: your sales are paid into it."))
    elif account is not None:
        messages.info(
            request,
            _(
                "Stripe still needs some details before it can pay you. Choose "
                '"Continue with Stripe" to finish.'
            ),
        )
    return redirect("payments:payouts")


@require_GET
@login_required
def payout_account_refresh(request):
    """Stripe's onboarding address expired or was used: make a new one (for a
    seller who has an account; anyone else starts from "Get paid")."""
    if payout_account_status(user=request.user).status == "none":
        return redirect("payments:payouts")
    try:
        return _onboard(request)
    except ServiceUnavailable:
        messages.error(request, STRIPE_DOWN_MESSAGE)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:payouts")
