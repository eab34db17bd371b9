"""Running localstripe, the local Stripe emulator, for `make run` and the tests.

localstripe is a dev dependency: it serves the Stripe API (and a stand-in
Stripe.js) on one port and delivers webhooks to the URLs registered with it.
"""

import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from payments.gateway import gateway_ping


def localstripe_is_up(base_url: str) -> bool:
    return gateway_ping(api_base=base_url, timeout=1)


def localstripe_start(*, port: int, from_scratch: bool = False, timeout: float = 20.0):
    """Start localstripe on `port` and wait until it answers; return the process.

    Raises RuntimeError if it does not answer within `timeout` seconds.
    """
    # Our extension of localstripe (marketplace/devtools/stripe_emulator), dev-only.
    command = [sys.executable, "-m", "marketplace.devtools.stripe_emulator", "--port", str(port)]
    if from_scratch:
        command.append("--from-scratch")
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        cwd=Path(__file__).resolve().parents[2],  # the project's root, where `marketplace` is
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with code {process.returncode} on port {port}.")
        if localstripe_is_up(base_url):
            return process
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"localstripe did not answer on port {port} within {timeout:.0f} s.")


def localstripe_register_webhook(*, base_url: str, url: str, secret: str, name: str = "encore"):
    """Ask localstripe to deliver every event to `url`, signed with `secret`."""
    data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(  # noqa: S310 (a local http URL)
        f"{base_url}/_config/webhooks/{name}", data=data, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        if response.status != 200:
            raise RuntimeError(f"localstripe refused the webhook ({response.status}).")
