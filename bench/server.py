"""The system under test: a PostgreSQL database of its own, localstripe, and the
site served by gunicorn with the production settings (DEBUG off, Redis cache),
all on loopback."""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encore_bench"
)
# Redis databases of the benchmark's own: the cache and the Celery broker.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")
# Rate limits are for the public; here one address plays thousands of fans.
UNLIMITED = "1000000/m"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(*, stripe_port: int) -> dict[str, str]:
    """The environment of every process of the run: production settings, the
    benchmark's database and Redis, localstripe as Stripe."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "STRIPE_SECRET_KEY": "sk_test_encore_bench",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_encore_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_encore_bench",
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "STRIPE_JS_URL": f"http://127.0.0.1:{stripe_port}/js.stripe.com/v3/",
        "BARCODE_HMAC_KEY": "encore-bench-barcodes",
        "SECURE_SSL_REDIRECT": "false",
        "RATELIMIT_API": UNLIMITED,
        "RATELIMIT_AUTH": UNLIMITED,
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        # Workers are not recycled mid-measure: a fresh worker's first requests
        # (imports, template compilation) would land in the percentiles.
        "GUNICORN_MAX_REQUESTS": "0",
        # The site's own counts (cache hits among them) on /metrics, added up
        # over the workers as in production (bench/cachestats.py).
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "PROMETHEUS_MULTIPROC_DIR": str(LOGS / "metrics"),
        # The load's clients keep each buyer's connection open between requests,
        # as a load balancer keeps its connections to the web nodes: gunicorn
        # must not close them while idle (a POST sent on a connection the server
        # has just closed gets no answer).
        "GUNICORN_KEEPALIVE": "600",
    }


def database_recreate() -> None:
    import psycopg

    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def redis_flush() -> None:
    import redis

    for url in (REDIS_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()


def manage(env: dict, *args: str) -> float:
    """Run a manage.py command; return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - started, 1)


def wait_until_up(url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 (loopback)
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; see {LOGS}.")


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int):
    """The site on a free loopback port, with gunicorn.conf.py; yields its base URL."""
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            str(LOGS / "access.log"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health/live")
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def workers_rss_mb(master_pid: int) -> dict:
    """Resident memory of gunicorn's worker processes, from /proc."""
    sizes = []
    per_worker = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            status = (entry / "status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields["PPid"]) == master_pid:
                sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
                per_worker[entry.name] = round(sizes[-1], 1)
    return {
        "workers": len(sizes),
        "max_mb": round(max(sizes), 1) if sizes else None,
        "total_mb": round(sum(sizes), 1),
        "per_worker_mb": dict(sorted(per_worker.items())),
    }
