import pytest
from django.db import connections

from marketplace.testing import free_port


def get_health(client):
    response = client.get("/health")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def _with_database_down(client, django_db_blocker, path):
    """GET `path` while the database refuses connections (a port nobody listens on)."""
    connection = connections["default"]
    with django_db_blocker.unblock():
        original_port = connection.settings_dict["PORT"]
        connection.close()
        connection.settings_dict["PORT"] = free_port()
        try:
            return client.get(path)
        finally:
            connection.close()
            connection.settings_dict["PORT"] = original_port


@pytest.mark.django_db
def test_health_is_healthy_with_postgres_redis_and_payments_up(client):
    response, body = get_health(client)

    assert response.status_code == 200
    assert body["status"] == "healthy"
    assert body["services"] == {"database": "up", "redis": "up", "payment": "up"}
    assert body["timestamp"].endswith("+00:00")
    assert "down" not in body


@pytest.mark.django_db
def test_health_names_redis_when_it_is_down(client, settings):
    # A port nobody listens on: the connection is really refused.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["status"] == "unhealthy"
    assert body["services"]["redis"] == "down"
    assert body["services"]["database"] == "up"
    assert body["down"] == ["redis"]


@pytest.mark.django_db
def test_health_names_payment_when_stripe_is_unreachable(client, settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["services"]["payment"] == "down"
    assert body["down"] == ["payment"]


def test_health_names_the_database_when_it_is_down(client, django_db_blocker):
    response = _with_database_down(client, django_db_blocker, "/health")
    body = response.json()

    assert response.status_code == 503
    assert body["services"]["database"] == "down"
    assert body["down"] == ["database"]


@pytest.mark.django_db
def test_health_without_redis_configured_is_healthy(client, settings):
    # The embedded run keeps its cache in memory; there is no Redis to be down.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    response, body = get_health(client)

    assert response.status_code == 200
    assert body["services"]["redis"] == "not_configured"


@pytest.mark.django_db
def test_health_refuses_other_methods(client):
    assert client.post("/health").status_code == 405


# /health/ready: what the load balancer asks. Only the database counts.


@pytest.mark.django_db
def test_ready_is_ready_with_the_database_up(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["services"] == {"database": "up"}


@pytest.mark.django_db
def test_ready_stays_ready_when_payments_and_redis_are_down(client, settings):
    # A degraded site still serves its pages: no node is taken out for it.
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }

    assert client.get("/health").status_code == 503
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"


def test_ready_is_not_ready_without_the_database(client, django_db_blocker):
    response = _with_database_down(client, django_db_blocker, "/health/ready")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]


# /health/live: the process answers; a container is restarted only when it does not.


def test_live_answers_even_without_the_database(client, django_db_blocker):
    response = _with_database_down(client, django_db_blocker, "/health/live")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "healthy"
    assert "no-cache" in response["Cache-Control"]
