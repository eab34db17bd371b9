"""Real Celery workers on a Redis broker for the tests (a pytest plugin the
root conftest loads): in a thread of the test process, or in processes a test
can kill."""

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from marketplace.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def broker_url() -> str:
    """A Redis database of its own for the Celery broker of these tests
    (TEST_CELERY_BROKER_URL, by default REDIS_URL's server at database 4; one
    per pytest-xdist worker: marketplace/settings/test.py)."""
    return settings.TEST_CELERY_BROKER_URL


def _broker_client(url):
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def _reset_broker_pools():
    # The app caches its broker connection and producer pools on first use;
    # dropped, they are made again from the broker_url in force.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_on_broker(url: str):
    """The project's Celery app publishing to `url` for real (not eagerly)."""
    names = ("broker_url", "task_always_eager", "worker_hijack_root_logger")
    saved = {name: celery_app.conf[name] for name in names}
    celery_app.conf.update(broker_url=url, task_always_eager=False, worker_hijack_root_logger=False)
    _reset_broker_pools()
    try:
        yield celery_app
    finally:
        celery_app.conf.update(saved)
        _reset_broker_pools()


@pytest.fixture
def in_thread_worker(broker_url):
    """A real Celery worker in a thread of this process, consuming the default
    queue on the tests' broker; tasks enqueued meanwhile go through Redis."""
    from celery.contrib.testing.worker import start_worker

    client = _broker_client(broker_url)
    queue = celery_app.conf.task_default_queue
    # A queue left over by an interrupted run must not feed this worker.
    client.delete(queue)
    # It consumes the default queue only: a queue an earlier test in this
    # process published to by name stays in the app's list of queues, and
    # consuming it too left this worker deaf (seen when test_metrics ran first).
    with (
        celery_on_broker(broker_url) as app,
        start_worker(
            app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=15
        ) as worker,
    ):
        yield worker
    client.delete(queue)


def worker_database_url() -> str:
    """DATABASE_URL of the test database this pytest run created."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


@pytest.fixture
def worker_processes(broker_url, tmp_path):
    """A function starting a real `celery worker` process on a queue of its
    own, with the test database and the file email backend (keyword arguments
    add to its environment); every process it started is killed at the end of
    the test."""
    if connection.vendor != "postgresql":
        pytest.skip("A worker process needs a database server it can share.")
    queue = f"encore-test-{uuid.uuid4().hex[:12]}"
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # The tasks its tasks enqueue (the outbox sweep's) come back to it.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # Unacknowledged for 2 s (its worker died), a task is delivered again.
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "TEST_EMAIL_BACKEND": "messaging.tests.backends.HangingFileBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "CELERY_SKIP_CHECKS": "1",
    }
    started: list[subprocess.Popen] = []

    def start(name: str, **extra_env: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "marketplace",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
                "-Q",
                queue,
                "-n",
                f"{name}-{queue}@%h",
            ],
            cwd=BASE_DIR,
            env={**env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log = log
        started.append(process)
        return process

    start.queue = queue
    start.outbox = outbox
    start.logs = tmp_path
    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process.log.close()
    client = _broker_client(broker_url)
    # The queue and the bindings kombu keeps for it.
    client.delete(queue, *client.scan_iter(match=f"_kombu.binding*.{queue}"))
