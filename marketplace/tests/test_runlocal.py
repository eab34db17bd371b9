"""`manage.py runlocal`, which `make run` ends with: the site, localstripe and its webhook."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from marketplace.devtools.localstripe import localstripe_is_up
from marketplace.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return None, None


def test_runlocal_serves_the_site_with_localstripe_delivering_webhooks(tmp_path, settings):
    site_port, stripe_port = free_port(), free_port()
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    log_path = tmp_path / "runlocal.log"
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'encore.sqlite3'}",
        "STRIPE_API_BASE": stripe_base,
        "PYTHONUNBUFFERED": "1",
    }
    with open(log_path, "w") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runlocal", f"127.0.0.1:{site_port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # given: the site answers, with payments up on the localstripe it started
        assert wait_for(lambda: get_json(f"http://127.0.0.1:{site_port}/health")[0] == 200), (
            log_path.read_text()
        )
        _, health = get_json(f"http://127.0.0.1:{site_port}/health")
        assert health["services"] == {
            "database": "up",
            "redis": "not_configured",
            "payment": "up",
        }

        # when: something happens at Stripe (a customer is created)
        request = urllib.request.Request(  # noqa: S310
            f"{stripe_base}/v1/customers",
            data=b"email=fan%40example.com",
            headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.status == 200

        # then: localstripe posts the event to the site's webhook URL
        assert wait_for(
            lambda: "POST /payments/stripe/webhook/" in log_path.read_text(), timeout=10
        ), log_path.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)

    # Stopping the command stops localstripe too.
    assert wait_for(lambda: not localstripe_is_up(stripe_base), timeout=10)
    # What it kept for the next `make run` on that port (not a port make run uses).
    (ROOT / "var" / f"local-stripe-{stripe_port}.pickle").unlink(missing_ok=True)
