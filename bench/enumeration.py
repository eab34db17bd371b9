"""How long each account flow takes for an address with an Encore account and
for one without: the time must not tell them apart (account enumeration).

`measure(n)` sends n requests of each flow for a known address and n for an
unknown one, alternating, through Django's test client (the whole stack:
middleware, views, services, the database, the email outbox), and returns
the median milliseconds of each. The rate limits are cleared before each
request so every request takes the path of a first attempt.

Run it with the production password hasher (PBKDF2, not the tests' MD5):
`bench/test_enumeration.py` does, and writes bench/results/enumeration.md.
"""

import itertools
import statistics
import time

from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

NEW_PASSWORD = "a-long-pass-phrase-9"  # noqa: S105 (a test account's)
KNOWN = "known@example.com"

FLOWS = (
    "API register",
    "API login (wrong password)",
    "site sign-up",
    "site login (wrong password)",
    "site password reset",
    "API ticket transfer",
    "site ticket transfer",
)


def _timed(call) -> float:
    cache.clear()  # every request a first attempt: no rate limit, no cooldown
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code >= 500:
        raise RuntimeError(f"{response.status_code}: {response.content[:500]!r}")
    return elapsed


def _site_post(path: str, data: dict):
    client = Client()
    client.get(path)
    return lambda: client.post(path, data)


def measure(n: int = 30) -> dict[str, tuple[float, float]]:
    """{flow: (median ms for the known address, median ms for an unknown one)}."""
    from accounts.tests.factories import UserFactory
    from tickets.tests.factories import TicketFactory

    UserFactory(email=KNOWN)
    sender = UserFactory(email="sender@example.com")
    sender_api = APIClient()
    sender_api.force_authenticate(sender)
    sender_site = Client()
    sender_site.force_login(sender)
    fresh = (f"nobody{i}@example.com" for i in itertools.count())

    def flows(address):
        """The calls of every flow for `address()`: the known address each time,
        or a new unknown one for each flow (a sign-up makes an address known)."""
        tickets = TicketFactory.create_batch(2, owner=sender)
        email = {flow: address() for flow in FLOWS}
        return {
            "API register": lambda: APIClient().post(
                "/api/v1/auth/register", {"email": email["API register"], "password": NEW_PASSWORD}
            ),
            "API login (wrong password)": lambda: APIClient().post(
                "/api/v1/auth/login",
                {"email": email["API login (wrong password)"], "password": "not-the-password"},
            ),
            "site sign-up": _site_post(
                "/accounts/signup/",
                {
                    "email": email["site sign-up"],
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
            ),
            "site login (wrong password)": _site_post(
                "/accounts/login/",
                {"login": email["site login (wrong password)"], "password": "not-the-password"},
            ),
            "site password reset": _site_post(
                "/accounts/password/reset/", {"email": email["site password reset"]}
            ),
            "API ticket transfer": lambda: sender_api.post(
                f"/api/v1/tickets/{tickets[0].pk}/transfer",
                {"recipient_email": email["API ticket transfer"]},
            ),
            "site ticket transfer": lambda: sender_site.post(
                f"/tickets/{tickets[1].pk}/transfer/",
                {"recipient_email": email["site ticket transfer"]},
            ),
        }

    times = {flow: ([], []) for flow in FLOWS}
    for round_ in range(n + 1):
        known_calls, unknown_calls = flows(lambda: KNOWN), flows(lambda: next(fresh))
        for flow in FLOWS:
            # Known and unknown take turns going first, so neither always meets
            # the caches the other warmed; round 0 only warms them.
            order = (0, 1) if round_ % 2 else (1, 0)
            calls = (known_calls[flow], unknown_calls[flow])
            elapsed = {side: _timed(calls[side]) for side in order}
            if round_:
                times[flow][0].append(elapsed[0])
                times[flow][1].append(elapsed[1])
    return {
        flow: (statistics.median(known), statistics.median(unknown))
        for flow, (known, unknown) in times.items()
    }


def table(results: dict[str, tuple[float, float]], n: int) -> str:
    """The figures as a Markdown table."""
    lines = [
        f"| flow (median of {n} each) | known address (ms) | unknown address (ms) | difference |",
        "| --- | ---: | ---: | ---: |",
    ]
    for flow, (known, unknown) in results.items():
        difference = (known - unknown) / unknown * 100 if unknown else 0.0
        lines.append(f"| {flow} | {known:.1f} | {unknown:.1f} | {difference:+.1f}% |")
    return "\n".join(lines)
