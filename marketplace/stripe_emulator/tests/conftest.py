"""The emulator under test is the run's own (the root conftest's `localstripe`
fixture), driven with the official `stripe` library as production drives
Stripe. Webhooks arrive at a small HTTP receiver registered with it."""

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from conftest import free_port, wait_for
from marketplace.localstripe import localstripe_register_webhook

SECRET_KEY = "sk_test_emulator_tests"
PUBLISHABLE_KEY = "pk_test_emulator_tests"
WEBHOOK_SECRET = "whsec_emulator_tests"


@pytest.fixture(scope="session")
def base_url(localstripe):
    return localstripe


@pytest.fixture(scope="session")
def client(base_url):
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": base_url}, max_network_retries=0)


class Receiver:
    """Stripe's webhook deliveries: (Stripe-Signature header, raw body) pairs."""

    def __init__(self):
        self.deliveries = []
        self.lock = threading.Lock()

    def events(self, type=None, object_id=None):
        """The verified events received so far (stripe.Event objects)."""
        with self.lock:
            deliveries = list(self.deliveries)
        events = [stripe.Webhook.construct_event(b, s, WEBHOOK_SECRET) for s, b in deliveries]
        return [
            e
            for e in events
            if (type is None or e.type == type)
            and (object_id is None or e.data.object.id == object_id)
        ]

    def wait(self, type, object_id, count=1, timeout=10.0):
        wait_for(
            lambda: len(self.events(type, object_id)) >= count,
            timeout=timeout,
            what=f"{count} {type} event(s) for {object_id}",
        )
        return self.events(type, object_id)


@pytest.fixture(scope="module")
def webhooks(base_url):
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.deliveries.append((self.headers["Stripe-Signature"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    name = f"emulator-tests-{server.server_port}"
    localstripe_register_webhook(
        base_url=base_url,
        url=f"http://127.0.0.1:{server.server_port}/",
        secret=WEBHOOK_SECRET,
        name=name,
    )
    yield receiver
    http(base_url, "DELETE", f"/_config/webhooks/{name}")
    server.shutdown()
    server.server_close()


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


def _decoded(response):
    raw = response.read().decode()
    try:
        return json.loads(raw)
    except ValueError:
        return raw


REFRESH = "https://encore.example/sell/payouts/refresh"
RETURN = "https://encore.example/sell/payouts/done"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


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
