"""Where the local Stripe keeps what it holds: `make run`'s in a file of its
own port, kept across restarts; the tests' and the benchmark's in memory."""

from pathlib import Path

import stripe
from django.conf import settings

from marketplace.devtools.localstripe import localstripe_start
from marketplace.testing import free_port

# The emulator's var/ (marketplace.devtools.stripe_emulator.app.STORE_DIRECTORY),
# named here: importing the app would build localstripe's in this process.
STORE_DIRECTORY = Path(settings.BASE_DIR) / "var"


def _client(port: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_store", base_addresses={"api": f"http://127.0.0.1:{port}"}, max_network_retries=0
    )


def _restart(port: int, *, from_scratch: bool):
    return localstripe_start(port=port, from_scratch=from_scratch)


def test_make_runs_store_survives_a_restart_in_its_own_file():
    port = free_port()
    kept = STORE_DIRECTORY / f"local-stripe-{port}.pickle"
    process = _restart(port, from_scratch=False)
    try:
        account = _client(port).v1.accounts.create(params={"type": "express", "country": "IE"})
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert kept.exists()

    process = _restart(port, from_scratch=False)
    try:
        again = _client(port).v1.accounts.retrieve(account.id)
    finally:
        process.terminate()
        process.wait(timeout=10)
        kept.unlink(missing_ok=True)

    assert (again.id, again.country) == (account.id, "IE")


def test_a_run_from_scratch_keeps_nothing_on_disk():
    port = free_port()
    process = _restart(port, from_scratch=True)
    try:
        _client(port).v1.accounts.create(params={"type": "express", "country": "IE"})
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert not (STORE_DIRECTORY / f"local-stripe-{port}.pickle").exists()
