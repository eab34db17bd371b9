"""GET /metrics: Prometheus's scrape behind METRICS_TOKEN, request latency by
URL name, and the state read at scrape time (outbox, payouts, reservations,
the Celery queue in the broker)."""

import datetime
import time

import pytest
import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from marketplace.testing import free_port
from marketplace.tests.workers import celery_on_broker
from messaging.models import Email
from messaging.tasks import email_send
from messaging.tests.factories import EmailFactory

TOKEN = "metrics-token-for-the-tests-0123456789"


def scrape(client) -> dict:
    """{(name, frozenset(labels)): value} of one authorised scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_without_a_token_set_metrics_are_not_there(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404
    assert b"encore_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",  # all but the last character
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_a_missing_or_wrong_token_is_refused(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"encore_" not in response.content
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_scrape_is_never_cached(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_latency_is_labelled_by_the_url_name_never_the_path(client, token):
    before = scrape(client)

    client.get("/health/live")
    client.get("/health/live")
    client.get("/no-such-page/12345/")
    client.get("/static/css/site.css")

    after = scrape(client)
    count = "encore_http_request_duration_seconds_count"
    assert (
        value(after, count, view="health-live", method="GET")
        - value(before, count, view="health-live", method="GET")
        == 2
    )
    assert (
        value(after, count, view="unmatched", method="GET")
        - value(before, count, view="unmatched", method="GET")
        == 1
    )
    assert value(after, "encore_http_responses_total", view="unmatched", status="404") >= 1
    assert value(after, "encore_http_responses_total", view="static", status="200") >= 1
    paths = [dict(labels) for _, labels in after if "12345" in str(labels)]
    assert paths == []


@pytest.mark.django_db
def test_an_unknown_method_is_one_label(client, token):
    before = scrape(client)

    client.generic("BREW", "/health/live")

    after = scrape(client)
    count = "encore_http_request_duration_seconds_count"
    assert (
        value(after, count, view="health-live", method="other")
        - value(before, count, view="health-live", method="other")
        == 1
    )


@pytest.mark.django_db
def test_the_outbox_is_read_at_scrape_time(client, token):
    EmailFactory(status=Email.Status.READY)
    old = EmailFactory(status=Email.Status.READY)
    Email.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    EmailFactory(status=Email.Status.FAILED)
    EmailFactory(status=Email.Status.SENT, sent_at=timezone.now())

    samples = scrape(client)

    assert value(samples, "encore_outbox_emails", status="ready") == 2
    assert value(samples, "encore_outbox_emails", status="sending") == 0
    assert value(samples, "encore_outbox_emails", status="failed") == 1
    assert 590 < value(samples, "encore_outbox_oldest_ready_age_seconds") < 700
    assert value(samples, "encore_payouts_failed") == 0
    assert value(samples, "encore_reservations_overdue") == 0


@pytest.mark.django_db
def test_the_celery_queue_length_is_read_from_the_broker(client, token, settings, broker_url):
    queue = f"encore-metrics-test-{time.time_ns()}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    broker = redis.Redis.from_url(broker_url)
    try:
        with celery_on_broker(broker_url):
            # given three tasks waiting, no worker consuming them
            for _ in range(3):
                email_send.apply_async((0,), queue=queue)

            samples = scrape(client)
    finally:
        broker.delete(queue, *broker.scan_iter(match=f"_kombu.binding*.{queue}"))

    assert value(samples, "encore_celery_broker_up") == 1
    assert value(samples, "encore_celery_queue_length", queue=queue) == 3


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported_as_unknown_quickly(client, token):
    with celery_on_broker(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        samples = scrape(client)
        elapsed = time.monotonic() - started

    assert value(samples, "encore_celery_broker_up") == 0
    assert not [name for name, _ in samples if name == "encore_celery_queue_length"]
    assert elapsed < 3
