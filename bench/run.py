"""`make bench`: how fast the foundation is on PostgreSQL, written to bench/results/.

Measures, on a fresh database named encore_bench (BENCH_DATABASE_URL overrides):
migrate, seed_demo, seed_demo --scale N (bulk inserts), and the home page
(latency percentiles and queries per request) at that scale.
Figures go to bench/results/latest.json and a dated copy; nothing is asserted.
"""

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SCALE = int(os.environ.get("BENCH_SCALE", "1000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encore_bench"
)


def timed(*args):
    """Run a manage.py command on the bench database; return its wall time in seconds."""
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
    }
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - started, 2)


def recreate_database():
    import psycopg

    *server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{server[0]}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def measure_home_page():
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.base"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get("/")  # warm up: connection, templates
    timings, queries = [], []
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/")
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200  # noqa: S101 (a broken page is no benchmark)
        queries.append(len(captured))
    timings.sort()
    return {
        "requests": REQUESTS,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "queries_per_request": max(queries),
    }


def main():
    recreate_database()
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "database": "postgresql",
        "scale_events": SCALE,
        "seconds": {
            "migrate": timed("migrate", "--noinput"),
            "seed_demo": timed("seed_demo"),
            "seed_demo_again": timed("seed_demo"),
            f"seed_demo_scale_{SCALE}": timed("seed_demo", "--scale", str(SCALE)),
        },
    }
    figures["home_page"] = measure_home_page()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, indent=2) + "\n"
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / f"bench-{figures['when'][:10]}.json").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
