"""Helpers the tests of this folder import (fixtures stay in conftest.py)."""

import json
import urllib.error
import urllib.parse
import urllib.request

SECRET_KEY = "sk_test_emulator_tests"
PUBLISHABLE_KEY = "pk_test_emulator_tests"


def _decoded(response):
    raw = response.read().decode()
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(base_url, method, path, data=None, key=SECRET_KEY, headers=None):
    """A raw request to the emulator: (status, headers, parsed JSON or text)."""
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 (a local http URL)
        base_url + path, data=body, method=method, headers=dict(headers or {})
    )
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, _decoded(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, _decoded(error)


REFRESH = "https://encore.example/sell/payouts/refresh"

RETURN = "https://encore.example/sell/payouts/done"


def browse(url, form=None):
    """(status, Location or page) of a browser's GET, or POST of `form`."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        request = urllib.request.Request(url, data=data)  # noqa: S310 (a local http URL)
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location") or error.read().decode()


def seller_form(**changes):
    form = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "dob": "1990-04-21",
        "iban": "DE89370400440532013000",
        "tos": "accepted",
        "action": "submit",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def express_account(client, country="DE", **params):
    return client.v1.accounts.create(
        params={
            "type": "express",
            "country": country,
            "email": "seller@example.com",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user_id": "7"},
            **params,
        }
    )


def onboarding_link(client, account):
    return client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": REFRESH,
            "return_url": RETURN,
            "type": "account_onboarding",
        }
    )


def onboarded_account(client, **form):
    account = express_account(client)
    link = onboarding_link(client, account)
    browse(link.url)
    assert browse(link.url, seller_form(**form)) == (303, RETURN)
    return client.v1.accounts.retrieve(account.id)


def paid_charge(client, amount=2000, currency="eur", card="pm_card_visa", **params):
    """A succeeded PaymentIntent's charge id (and the intent)."""
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "payment_method": card,
            "confirm": True,
            "payment_method_types": ["card"],
            **params,
        }
    )
    assert intent.status == "succeeded"
    return intent.latest_charge, intent
