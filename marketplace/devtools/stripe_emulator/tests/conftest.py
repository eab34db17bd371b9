"""The emulator under test is the run's own (the root conftest's `localstripe`
fixture), driven with the official `stripe` library as production drives
Stripe. Webhooks arrive at a small HTTP receiver registered with it."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from marketplace.devtools.localstripe import localstripe_register_webhook
from marketplace.testing import free_port, wait_for

from .helpers import (
    SECRET_KEY,
    http,
)

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
