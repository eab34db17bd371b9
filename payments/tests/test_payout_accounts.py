"""Sellers' payout accounts: a Stripe Connect Express account opened from
"Get paid" (or POST users/payout-account), onboarded on Stripe's hosted page
(the local stand-in here), kept in step from the return and the
`account.updated` webhook. Encore keeps no identity or bank detail.
"""

import datetime
import json
import time

import pytest
import stripe
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data, run_in_threads, wait_for
from payments import gateway
from payments.models import PayoutAccount
from payments.services import payout_account_apply, payout_account_onboard
from payments.tests.stripe_helpers import (
    account_needs_more,
    onboarding_complete,
    seller_onboarded,
)

pytestmark = pytest.mark.django_db

ACCOUNT = "/api/v1/users/payout-account"
RETURN = "http://testserver/my/payouts/account/return/"
REFRESH = "http://testserver/my/payouts/account/refresh/"


def _onboard(user, country="IE"):
    return payout_account_onboard(
        user=user, country=country, return_url=RETURN, refresh_url=REFRESH
    )


# --- the service -----------------------------------------------------------------


def test_get_paid_opens_an_express_account_and_gives_stripes_onboarding(seller, settings):
    account, url = _onboard(seller)

    assert account.stripe_account_id.startswith("acct_")
    assert (account.country, account.state) == ("IE", PayoutAccount.State.PENDING)
    assert not account.can_receive
    at_stripe = gateway.stripe_client().v1.accounts.retrieve(account.stripe_account_id)
    assert (at_stripe.type, at_stripe.email) == ("express", seller.email)
    assert at_stripe.capabilities["transfers"] in ("inactive", "pending")
    assert url.startswith(settings.STRIPE_API_BASE)  # the local stand-in of Stripe's page
    assert AuditLog.objects.filter(action="payout_account.created", actor=seller).count() == 1


def test_asking_again_gives_a_new_link_to_the_same_account(seller):
    first, first_url = _onboard(seller)
    second, second_url = _onboard(seller, country="DE")  # the country counts once

    assert second.pk == first.pk and second.country == "IE"
    assert second_url != first_url
    assert PayoutAccount.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_get_paid_clicked_twice_at_once_opens_one_account(seller):
    results, _ = run_in_threads([lambda: _onboard(seller)] * 4)

    assert not [r for r in results if isinstance(r, Exception)]
    assert PayoutAccount.objects.filter(user=seller).count() == 1
    assert len({account.stripe_account_id for account, _ in results}) == 1


def test_onboarding_finished_makes_the_account_able_to_receive(seller):
    account = seller_onboarded(seller)

    assert account.state == PayoutAccount.State.ENABLED
    assert (account.payouts_enabled, account.transfers_active) == (True, True)
    assert account.requirements_due == []
    assert account.default_currency == "EUR"
    updated = AuditLog.objects.get(action="payout_account.updated")
    assert updated.changes["payouts_enabled"] == {"from": False, "to": True}


def test_onboarding_without_a_bank_account_is_not_enough(seller):
    account = seller_onboarded(seller, with_bank=False)

    assert account.state == PayoutAccount.State.RESTRICTED
    assert not account.can_receive
    assert "external_account" in account.requirements_due


def test_an_unsupported_country_is_refused_and_nothing_is_opened(seller, db_snapshot):
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        _onboard(seller, country="KP")

    assert exc.value.details["reason"] == "UNSUPPORTED_COUNTRY"
    assert db_snapshot() == before


def test_a_suspended_account_cannot_open_one(seller, db_snapshot):
    User.objects.filter(pk=seller.pk).update(status=User.Status.SUSPENDED)
    seller.refresh_from_db()
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        _onboard(seller)

    assert db_snapshot() == before


def test_an_older_description_of_the_account_changes_nothing(seller):
    account = seller_onboarded(seller)
    stale = gateway.AccountInfo(
        id=account.stripe_account_id,
        country="IE",
        default_currency="EUR",
        details_submitted=False,
        payouts_enabled=False,
        transfers_active=False,
        requirements_due=["external_account"],
        disabled_reason="requirements.past_due",
    )

    payout_account_apply(info=stale, as_of=account.synced_at - datetime.timedelta(seconds=5))

    account.refresh_from_db()
    assert account.can_receive


def test_an_account_encore_did_not_open_is_ignored():
    info = gateway.AccountInfo("acct_unknown", "IE", "EUR", True, True, True, [], "")

    assert payout_account_apply(info=info) is None


# --- account.updated, delivered by Stripe ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_onboarding_reaches_encore_by_the_account_updated_webhook(stripe_webhooks, seller):
    account, url = _onboard(seller)

    onboarding_complete(url)

    wait_for(
        lambda: PayoutAccount.objects.get(pk=account.pk).can_receive,
        what="account.updated to enable the payout account",
    )
    # and when Stripe later needs more, the account stops receiving
    account_needs_more(account.stripe_account_id, "individual.verification.document")
    wait_for(
        lambda: not PayoutAccount.objects.get(pk=account.pk).can_receive,
        what="account.updated to restrict it",
    )
    account.refresh_from_db()
    assert account.requirements_due == ["individual.verification.document"]
    assert account.state == PayoutAccount.State.RESTRICTED


def _signed(client, event):
    from django.conf import settings

    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, settings.STRIPE_WEBHOOK_SECRET)
    return client.post(
        reverse("payments:stripe-webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def test_account_updated_events_out_of_order_leave_the_newest_state(client, seller):
    account, _ = _onboard(seller)
    now = int(time.time())
    enabled = gateway.stripe_client().v1.accounts.retrieve(account.stripe_account_id).to_dict()
    enabled.update(
        payouts_enabled=True,
        details_submitted=True,
        capabilities={"transfers": "active"},
        requirements={"currently_due": [], "past_due": [], "disabled_reason": None},
    )
    older = {**enabled, "payouts_enabled": False, "capabilities": {"transfers": "inactive"}}

    def event(event_id, obj, created):
        return {
            "id": event_id,
            "object": "event",
            "type": "account.updated",
            "created": created,
            "account": account.stripe_account_id,
            "data": {"object": obj},
        }

    for delivery in (
        event("evt_new", enabled, now),
        event("evt_old", older, now - 60),
        event("evt_new", enabled, now),
    ):
        assert _signed(client, delivery).status_code == 200

    account.refresh_from_db()
    assert account.can_receive
    assert AuditLog.objects.filter(action="payout_account.updated").count() == 1


# --- the API ---------------------------------------------------------------------


def test_api_before_any_account_the_status_is_none(api_as, seller):
    data = ok_data(api_as(seller).get(ACCOUNT))

    assert data == {
        "status": "none",
        "payouts_enabled": False,
        "requirements_due": [],
        "country": None,
        "default_currency": None,
    }


def test_api_post_answers_the_onboarding_url_and_the_status(api_as, seller):
    data = ok_data(api_as(seller).post(ACCOUNT, {"country": "NL"}, format="json"))

    assert set(data) == {"onboarding_url", "status"}
    assert data["status"] == "pending"
    assert "/setup/e/acct_" in data["onboarding_url"]
    assert PayoutAccount.objects.get(user=seller).country == "NL"

    # once onboarded through that address, GET says so
    onboarding_complete(data["onboarding_url"])
    api_as(seller).post(ACCOUNT, {}, format="json")  # any later call refreshes nothing by itself
    from payments.services import payout_account_sync

    payout_account_sync(user=seller)
    status = ok_data(api_as(seller).get(ACCOUNT))
    assert status == {
        "status": "enabled",
        "payouts_enabled": True,
        "requirements_due": [],
        "country": "NL",
        "default_currency": "EUR",
    }


@pytest.mark.parametrize("country", ["KP", "ie1", "Ireland"])
def test_api_a_country_encore_does_not_pay_out_in_is_refused(api_as, seller, country, db_snapshot):
    before = db_snapshot()

    response = api_as(seller).post(ACCOUNT, {"country": country}, format="json")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "country"
    assert db_snapshot() == before


def test_api_a_suspended_seller_gets_403(api_as, seller):
    User.objects.filter(pk=seller.pk).update(status=User.Status.SUSPENDED)

    response = api_as(seller).post(ACCOUNT, {}, format="json")

    # A suspended account's tokens are refused at once (401); either way nothing opens.
    assert response.status_code in (401, 403)
    assert not PayoutAccount.objects.exists()


# --- the pages ---------------------------------------------------------------------


def test_page_get_paid_redirects_to_stripes_onboarding(client, seller):
    client.force_login(seller)

    response = client.post(reverse("payments:payouts"), {"country": "IE"})

    assert response.status_code == 302
    assert "/setup/e/acct_" in response["Location"]
    account = PayoutAccount.objects.get(user=seller)
    assert account.stripe_account_id in response["Location"]


def test_page_an_unknown_country_is_a_form_error(client, seller, db_snapshot):
    client.force_login(seller)
    before = db_snapshot()

    response = client.post(reverse("payments:payouts"), {"country": "KP"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert db_snapshot() == before


def test_page_return_from_onboarding_reads_the_account_and_says_it_is_ready(client, seller):
    client.force_login(seller)
    location = client.post(reverse("payments:payouts"), {"country": "IE"})["Location"]
    back = onboarding_complete(location)

    response = client.get(back.replace("http://testserver", ""), follow=True)

    html = response.content.decode()
    assert "Your payout account is ready" in html
    assert PayoutAccount.objects.get(user=seller).can_receive


def test_page_return_without_finishing_says_what_is_left(client, seller):
    client.force_login(seller)
    client.post(reverse("payments:payouts"), {"country": "IE"})

    response = client.get(reverse("payments:payout-account-return"), follow=True)

    assert "Stripe still needs some details" in response.content.decode()


def test_page_an_expired_link_gets_a_new_one(client, seller):
    client.force_login(seller)
    first = client.post(reverse("payments:payouts"), {"country": "IE"})["Location"]

    response = client.get(reverse("payments:payout-account-refresh"))

    assert response.status_code == 302
    assert response["Location"] != first and "/setup/e/acct_" in response["Location"]


def test_page_the_form_may_redirect_to_the_onboarding_origin_and_no_other_page_may(
    client, seller, settings
):
    client.force_login(seller)

    payouts = client.get(reverse("payments:payouts"))
    listings = client.get(reverse("listings:mine"))

    def form_action(response):
        header = response["Content-Security-Policy"]
        part = next(p for p in header.split(";") if p.strip().startswith("form-action"))
        return part.split()[1:]

    assert form_action(payouts) == ["'self'", settings.STRIPE_API_BASE]
    assert form_action(listings) == ["'self'"]


@pytest.mark.parametrize("who", ["anonymous", "stranger"])
def test_page_payout_pages_are_each_sellers_own(client, who):
    if who == "stranger":
        client.force_login(UserFactory())
    for name in ("payments:payout-account-return", "payments:payout-account-refresh"):
        response = client.get(reverse(name))
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            # Someone without an account is sent to their own payouts page.
            assert response.status_code == 302
