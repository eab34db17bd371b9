"""The timing of every account flow, for an address with an account and one
without (bench/enumeration.py), with the production password hasher.

    DATABASE_URL=... REDIS_URL=... .venv/bin/pytest bench/test_enumeration.py -s -p no:cacheprovider

BENCH_ENUMERATION_N sets the requests per address and flow (30). The table
is printed and written to bench/results/enumeration.md. Nothing is asserted:
this is a measurement (the tests that the work done is the same either way
are accounts/tests/test_enumeration.py and tickets/tests/test_transfer.py).
"""

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.enumeration import measure, table

N = int(os.environ.get("BENCH_ENUMERATION_N", "30"))
RESULTS = Path(__file__).resolve().parent / "results" / "enumeration.md"


@pytest.mark.django_db
def test_measure_the_account_flows_for_a_known_and_an_unknown_address(settings):
    # Production's hasher: its cost is what a timing attack would see.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True

    results = measure(n=N)

    text = table(results, N)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        f"# Account flows: known vs unknown address\n\n{stamp}, {platform.node()}, "
        f"PBKDF2 password hasher, Django test client, PostgreSQL and Redis.\n\n{text}\n"
    )
    print(f"\n{text}")
