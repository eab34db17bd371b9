"""Connect accounts, account links and the stand-in hosted onboarding."""

import re

import pytest
import stripe

from marketplace.devtools.stripe_emulator.banks import TEST_IBANS, iban_is_valid

from .helpers import (
    REFRESH,
    RETURN,
    browse,
    express_account,
    http,
    onboarded_account,
    onboarding_link,
    seller_form,
)


def test_a_new_express_account_can_do_nothing_until_onboarded(client):
    account = express_account(client, country="IE")

    assert isinstance(account, stripe.Account)
    assert account.id.startswith("acct_")
    assert (account.type, account.country, account.default_currency) == ("express", "IE", "eur")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.capabilities.to_dict() == {"transfers": "inactive"}
    assert account.controller.stripe_dashboard.type == "express"
    requirements = account.requirements
    assert {"business_type", "external_account", "tos_acceptance.date"} <= set(
        requirements.currently_due
    )
    assert "individual.dob.day" in requirements.currently_due
    assert requirements.disabled_reason == "requirements.past_due"
    assert account.external_accounts.object == "list" and account.external_accounts.data == []
    assert account.metadata.to_dict() == {"user_id": "7"}


@pytest.mark.parametrize(("country", "currency"), [("GB", "gbp"), ("US", "usd"), ("AU", "aud")])
def test_the_default_currency_follows_the_country(client, country, currency):
    assert express_account(client, country=country).default_currency == currency


def test_accounts_are_retrieved_updated_listed_and_deleted(client, webhooks):
    account = express_account(client)

    updated = client.v1.accounts.update(
        account.id, params={"email": "new@example.com", "metadata": {"tier": "gold"}}
    )
    listed = client.v1.accounts.list(params={"limit": 100})
    deleted = client.v1.accounts.delete(account.id)

    assert updated.email == "new@example.com"
    assert updated.metadata.to_dict() == {"user_id": "7", "tier": "gold"}
    assert account.id in [a.id for a in listed.data]
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.accounts.retrieve(account.id)
    assert (gone.value.http_status, gone.value.code) == (404, "resource_missing")
    [event] = webhooks.wait("account.updated", account.id)
    assert event.account == account.id
    assert event.data.previous_attributes.email == "seller@example.com"


def test_an_account_link_leads_to_the_stand_in_onboarding_page(client, base_url):
    account = express_account(client)

    link = onboarding_link(client, account)
    status, page = browse(link.url)

    assert link.object == "account_link"
    assert link.expires_at == link.created + 300
    assert link.url.startswith(f"{base_url}/setup/e/{account.id}/")
    assert status == 200
    assert '<html lang="en">' in page
    assert len(re.findall(r"<h1[ >]", page)) == 1
    assert "local test stand-in" in re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert "seller@example.com" in page
    for field in ("first_name", "last_name", "dob", "iban", "tos"):
        assert re.search(rf'<label for="{field}">', page), field
        assert re.search(rf'<input [^>]*id="{field}"', page), field
    assert 'value="DE89370400440532013000"' in page
    assert ">Submit</button>" in page and "Submit without a bank account" in page
    assert f'<a href="{RETURN}">Return to the platform without finishing</a>' in page


def test_submitting_the_onboarding_enables_the_account_and_says_so_by_webhook(client, webhooks):
    account = express_account(client)
    link = onboarding_link(client, account)
    browse(link.url)

    assert browse(link.url, seller_form()) == (303, RETURN)

    done = client.v1.accounts.retrieve(account.id)
    assert (done.details_submitted, done.charges_enabled, done.payouts_enabled) == (
        True,
        True,
        True,
    )
    assert done.capabilities.transfers == "active"
    assert done.requirements.currently_due == [] and done.requirements.disabled_reason is None
    [bank] = done.external_accounts.data
    assert (bank.object, bank.last4, bank.country, bank.currency) == (
        "bank_account",
        "3000",
        "DE",
        "eur",
    )
    assert done.tos_acceptance.date is not None
    [event] = webhooks.wait("account.updated", account.id)
    assert event.account == account.id
    assert event.data.object.capabilities.transfers == "active"
    previous = event.data.previous_attributes
    assert (previous.details_submitted, previous.payouts_enabled) == (False, False)
    assert previous.capabilities.transfers == "inactive"


def test_a_link_works_once_then_sends_the_browser_to_refresh_url(client):
    account = express_account(client)
    link = onboarding_link(client, account)
    browse(link.url)
    browse(link.url, seller_form())

    assert browse(link.url) == (303, REFRESH)
    assert browse(link.url, seller_form()) == (303, REFRESH)
    reloaded = onboarding_link(client, account)
    browse(reloaded.url)
    assert browse(reloaded.url) == (303, REFRESH)  # shown once already


def test_submitting_without_a_bank_account_leaves_payouts_and_transfers_off(client):
    done = onboarded_account(client, action="submit_without_bank", iban=None)

    assert (done.details_submitted, done.payouts_enabled) == (True, False)
    assert done.capabilities.transfers == "inactive"
    assert done.requirements.currently_due == ["external_account"]
    assert done.external_accounts.data == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"first_name": " "}, "first_name", "Enter your legal first name."),
        ({"tos": None}, "tos", "Accept the agreement to continue."),
        ({"dob": "2020-01-01"}, "dob", "You must be at least 13 years old."),
        ({"iban": "DE89370400440532013001"}, "iban", "Enter a valid IBAN"),
        ({"iban": "IE29AIBK93115212345678"}, "iban", "Enter an IBAN of a bank account in DE."),
    ],
)
def test_a_form_with_a_mistake_comes_back_with_the_message_beside_the_field(
    client, change, field, message
):
    account = express_account(client)
    link = onboarding_link(client, account)
    browse(link.url)

    status, page = browse(link.url, seller_form(**change))

    assert status == 200
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page)
    assert error and error.group(1).startswith(message.replace("'", "&#x27;"))
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    assert client.v1.accounts.retrieve(account.id).details_submitted is False
    # The corrected form is accepted on the same link.
    assert browse(link.url, seller_form()) == (303, RETURN)


def test_stripe_asks_an_onboarded_account_for_more_information(client, base_url, webhooks):
    account = onboarded_account(client)

    status, _, body = http(
        base_url,
        "POST",
        f"/_emulator/accounts/{account.id}/requirements",
        {
            "currently_due[]": ["individual.verification.document"],
            "disabled_reason": "requirements.past_due",
            "payouts_enabled": "false",
            "transfers": "inactive",
        },
    )

    assert status == 200
    restricted = client.v1.accounts.retrieve(account.id)
    assert restricted.requirements.currently_due == ["individual.verification.document"]
    assert restricted.requirements.past_due == ["individual.verification.document"]
    assert restricted.requirements.disabled_reason == "requirements.past_due"
    assert (restricted.payouts_enabled, restricted.capabilities.transfers) == (False, "inactive")
    events = webhooks.wait("account.updated", account.id, count=2)
    assert events[-1].data.previous_attributes.requirements.currently_due == []
    # A new onboarding link is how the seller gives it.
    link = onboarding_link(client, account)
    browse(link.url)
    assert browse(link.url, seller_form()) == (303, RETURN)
    assert client.v1.accounts.retrieve(account.id).capabilities.transfers == "active"


def test_account_links_are_refused_as_stripe_refuses_them(client):
    account = express_account(client)
    base = {"account": account.id, "refresh_url": REFRESH, "return_url": RETURN}

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.account_links.create(
            params={**base, "account": "acct_unknown", "type": "account_onboarding"}
        )
    with pytest.raises(stripe.InvalidRequestError) as update:
        client.v1.account_links.create(params={**base, "type": "account_update"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.account_links.create(
            params={"account": account.id, "return_url": RETURN, "type": "account_onboarding"}
        )

    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "account")
    assert update.value.param == "type"
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "refresh_url")


def test_an_unknown_link_is_not_found(client, base_url):
    account = express_account(client)

    status, _ = browse(f"{base_url}/setup/e/{account.id}/not-a-token")

    assert status == 404


@pytest.mark.parametrize("country", sorted(TEST_IBANS))
def test_the_prefilled_test_ibans_are_valid(country):
    assert iban_is_valid(TEST_IBANS[country]) and TEST_IBANS[country][:2] == country
