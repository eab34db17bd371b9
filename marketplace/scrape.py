"""GET /metrics: Prometheus's scrape, behind METRICS_TOKEN.

What the code counted (marketplace.core.metrics: requests, purchases, payments,
webhooks), from this process or, with PROMETHEUS_MULTIPROC_DIR, from every
process of this web node; plus what is read at scrape time, because it is
state rather than events: the email outbox, failed payouts, reservations the
periodic job has not released, and the Celery queue's length in the broker.
"""

import contextlib
import datetime
import fcntl
import hashlib
import hmac
import logging
import os

import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from marketplace.celery import app as celery_app
from messaging.models import Email
from payments.models import Payout, Transaction

logger = logging.getLogger(__name__)

# The broker must answer within this, or the queue's length is reported unknown.
BROKER_TIMEOUT_SECONDS = 0.5
# The release job runs every minute: a reservation this far past its end was missed.
RESERVATION_GRACE = datetime.timedelta(minutes=5)
# kombu's Redis transport keeps a queue's messages of priority 3, 6 and 9 in
# lists of their own beside the queue's ("celery\x06\x163"...).
REDIS_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
# The lock file gunicorn.conf.py's metrics_compact takes.
COMPACTION_LOCK = "compaction.lock"


def celery_queue_length(queue: str) -> int | None:
    """The number of tasks waiting in `queue` at the broker (not those a worker
    has taken); None when the broker does not answer within
    BROKER_TIMEOUT_SECONDS or is not Redis."""
    url = celery_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = redis.Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
    )
    try:
        pipe = client.pipeline(transaction=False)
        for suffix in REDIS_PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
        return sum(pipe.execute())
    except redis.RedisError as exc:
        logger.warning("Metrics: the Celery broker did not answer (%s)", exc)
        return None
    finally:
        client.close()


class StateCollector:
    """Gauges read when Prometheus scrapes (no describe(): registering it reads nothing)."""

    def collect(self):
        try:
            yield from self._database()
        except DatabaseError:
            # The counts of requests and purchases still go out; /health says why.
            logger.exception("Metrics: the database did not answer")
        yield from self._broker()

    def _database(self):
        now = timezone.now()
        emails = GaugeMetricFamily(
            "encore_outbox_emails",
            "Emails in the outbox by status (sent ones aside).",
            labels=["status"],
        )
        waiting = (Email.Status.READY, Email.Status.SENDING, Email.Status.FAILED)
        counts = dict(
            Email.objects.filter(status__in=waiting)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        for status in waiting:
            emails.add_metric([status], counts.get(status, 0))
        yield emails

        oldest = Email.objects.filter(status=Email.Status.READY).aggregate(t=Min("created_at"))["t"]
        yield GaugeMetricFamily(
            "encore_outbox_oldest_ready_age_seconds",
            "Age of the oldest email waiting to be sent (0: none waits).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        yield GaugeMetricFamily(
            "encore_payouts_failed",
            "Payouts whose transfer Stripe refused, waiting for a retry or for staff.",
            value=Payout.objects.filter(status=Payout.Status.FAILED).count(),
        )
        yield GaugeMetricFamily(
            "encore_reservations_overdue",
            "Reservations unpaid and past their end by more than 5 minutes: the release "
            "job (celery beat, worker) is not running.",
            value=Transaction.objects.filter(
                status=Transaction.Status.PENDING_PAYMENT,
                reserved_until__lt=now - RESERVATION_GRACE,
            ).count(),
        )

    def _broker(self):
        if celery_app.conf.task_always_eager:
            return  # the embedded run: no broker, no queue
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        length = celery_queue_length(queue)
        yield GaugeMetricFamily(
            "encore_celery_broker_up",
            "1 when the Celery broker answered this scrape, 0 when not (queue length unknown).",
            value=0 if length is None else 1,
        )
        if length is not None:
            gauge = GaugeMetricFamily(
                "encore_celery_queue_length",
                "Tasks waiting in the broker's queue.",
                labels=["queue"],
            )
            gauge.add_metric([queue], length)
            yield gauge


class _ThisProcess:
    """The counts of this process alone (no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self):
        return REGISTRY.collect()


def _registry(multiprocess_dir: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_ThisProcess())
    registry.register(StateCollector())
    return registry


@contextlib.contextmanager
def _files_steady(multiprocess_dir: str):
    """While the counts' files are read, gunicorn's master does not fold a dead
    worker's files into the archive (gunicorn.conf.py, metrics_compact)."""
    if not multiprocess_dir:
        yield
        return
    with open(os.path.join(multiprocess_dir, COMPACTION_LOCK), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def token_matches(request, expected: str) -> bool:
    """The request bears `Authorization: Bearer <expected>`. Digests of equal
    length are compared in constant time: the answer's timing tells nothing of
    how much of a guess was right, nor of the token's length."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return hmac.compare_digest(_digest(given.strip()), _digest(expected)) and (
        scheme.lower() == "bearer"
    )


@never_cache
@require_GET
def metrics(request):
    """Prometheus's text format; 404 when METRICS_TOKEN is unset, 401 without it."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("No metrics here.")
    if not token_matches(request, expected):
        response = HttpResponse("The metrics need their bearer token.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    with _files_steady(multiprocess_dir):
        body = generate_latest(_registry(multiprocess_dir))
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
