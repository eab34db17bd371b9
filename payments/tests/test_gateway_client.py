"""The Stripe client: one per process and settings, each thread's connection
kept open from one call to the next (HTTP keep-alive)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marketplace.testing import run_in_threads
from payments import gateway


class _Balance(BaseHTTPRequestHandler):
    """Answers GET /v1/balance as Stripe does, over HTTP/1.1 keep-alive, and
    notes each TCP connection it is asked on."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({"object": "balance", "available": [], "pending": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_stripe():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Balance)
    server.connections = 0
    server.lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_calls_in_one_thread_reuse_one_connection(counting_stripe):
    server, url = counting_stripe

    for _ in range(5):
        gateway.stripe_client(api_base=url).v1.balance.retrieve()

    assert server.connections == 1


def test_each_thread_keeps_a_connection_of_its_own(counting_stripe):
    server, url = counting_stripe

    def three_calls():
        for _ in range(3):
            gateway.stripe_client(api_base=url).v1.balance.retrieve()

    results, _ = run_in_threads([three_calls] * 4)

    assert results == [None] * 4
    assert server.connections == 4


def test_one_client_per_settings(settings, counting_stripe):
    _, url = counting_stripe

    assert gateway.stripe_client(api_base=url) is gateway.stripe_client(api_base=url)
    assert gateway.stripe_client(api_base=url) is not gateway.stripe_client(
        api_base=url, timeout=1.5
    )
    before = gateway.stripe_client(api_base=url)
    settings.STRIPE_SECRET_KEY = "sk_test_another_account"
    assert gateway.stripe_client(api_base=url) is not before


def test_without_keep_alive_each_call_opens_its_own_connection(settings, counting_stripe):
    server, url = counting_stripe
    settings.STRIPE_KEEP_ALIVE = False

    for _ in range(3):
        gateway.stripe_client(api_base=url).v1.balance.retrieve()

    assert server.connections == 3
