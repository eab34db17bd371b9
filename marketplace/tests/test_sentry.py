"""Sentry: an error in a view reaches Sentry's servers through sentry-sdk's real
HTTP transport, with the request id and without personal data. "Sentry's
servers" are a small HTTP receiver this test starts on 127.0.0.1; the DSN
points there. Django runs in a process of its own, started as the settings
start Sentry (TEST_SENTRY_DSN, SENTRY_DSN's stand-in under the test settings),
so this test process keeps Sentry off."""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk

ROOT = Path(__file__).resolve().parents[2]

# A request to a view that raises, through Django's WSGI handler as gunicorn
# calls it, with personal data where Sentry could pick it up: a cookie, a
# bearer token, an address in the query string.
CLIENT_SCRIPT = """
import io
from wsgiref.util import setup_testing_defaults

from django.core.wsgi import get_wsgi_application
from django.test import override_settings
import sentry_sdk

application = get_wsgi_application()
environ = {
    "PATH_INFO": "/test-boom/",
    "QUERY_STRING": "email=fan@example.com",
    "HTTP_HOST": "testserver",
    "HTTP_X_REQUEST_ID": "sentry-req-000001",
    "HTTP_COOKIE": "sessionid=session-secret-value",
    "HTTP_AUTHORIZATION": "Bearer api-secret-value",
    "wsgi.errors": io.StringIO(),
}
setup_testing_defaults(environ)
statuses = []
with override_settings(ROOT_URLCONF="marketplace.tests.error_urls"):
    b"".join(application(environ, lambda status, headers: statuses.append(status)))
sentry_sdk.flush(timeout=10)
print(statuses[0])
"""


@pytest.fixture
def sentry_receiver():
    """A stand-in for Sentry's ingestion: records each envelope POSTed to it."""
    envelopes = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            envelopes.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.envelopes = envelopes
    yield server
    server.shutdown()
    server.server_close()


def events_of(envelopes) -> list[dict]:
    """The error events in Sentry envelopes (a header line, then item header
    and payload lines)."""
    events = []
    for _, body in envelopes:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_sentry_is_off_without_a_dsn():
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.system  # the site in a fresh interpreter, reporting to a receiver here
def test_an_error_in_a_view_reaches_sentry_without_personal_data(sentry_receiver):
    port = sentry_receiver.server_address[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "TEST_SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/42",
        "SENTRY_ENVIRONMENT": "ci",
        "SENTRY_RELEASE": "encore@test",
    }

    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", CLIENT_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("500 Internal Server Error")
    assert {path for path, _ in sentry_receiver.envelopes} == {"/api/42/envelope/"}
    [event] = events_of(sentry_receiver.envelopes)
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ZeroDivisionError", "secret internals")
    assert event["tags"]["request_id"] == "sentry-req-000001"
    assert (event["environment"], event["release"]) == ("ci", "encore@test")
    # No personal data and no secret in anything sent.
    sent = b"".join(body for _, body in sentry_receiver.envelopes).decode()
    for private in ("fan@example.com", "session-secret-value", "api-secret-value"):
        at = sent.find(private)
        assert at < 0, sent[max(at - 600, 0) : at + 100]
    assert "user" not in event
    request = event["request"]
    assert (request["method"], request["url"]) == ("GET", "http://testserver/test-boom/")
    assert request["query_string"] == "email=[email]"
    assert request["headers"]["X-Request-Id"] == "sentry-req-000001"
    assert {request["headers"].get(name) for name in ("Cookie", "Authorization")} <= {
        None,
        "[Filtered]",
    }
    assert "cookies" not in request
    assert not request.get("data")  # bodies are never sent
