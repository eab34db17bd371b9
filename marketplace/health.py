"""Health checks for monitors, load balancers and container runtimes.

GET /health: every service (database, Redis, payment); 503 names what is down.
GET /health/ready: can this node serve pages? Only the database is checked:
  with Redis or Stripe down the site is degraded, not dead, and taking every
  node out of the load balancer for it would turn a degraded site into none.
GET /health/live: the process answers; nothing else is checked.
"""

import logging

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from payments.gateway import gateway_ping

logger = logging.getLogger(__name__)

UP, DOWN, NOT_CONFIGURED = "up", "down", "not_configured"


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health: the database is down")
        return DOWN
    return UP


def check_redis() -> str:
    """The cache swallows Redis errors (IGNORE_EXCEPTIONS), so ask Redis itself."""
    from django.core.cache import caches
    from django_redis import get_redis_connection
    from django_redis.cache import RedisCache

    # django-redis's backend or a subclass of it (marketplace.cache.RedisCache).
    if not isinstance(caches["default"], RedisCache):
        return NOT_CONFIGURED

    try:
        get_redis_connection("default").ping()
    except Exception:
        logger.exception("Health: Redis is down")
        return DOWN
    return UP


def check_payment() -> str:
    if not gateway_ping():
        logger.error("Health: the payment service is down (%s)", settings.STRIPE_API_BASE)
        return DOWN
    return UP


def _report(services: dict[str, str]) -> JsonResponse:
    down = sorted(name for name, state in services.items() if state == DOWN)
    body = {
        "status": "unhealthy" if down else "healthy",
        "timestamp": timezone.now().isoformat(),
        "services": services,
    }
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


@never_cache
@require_GET
def health(request):
    return _report(
        {"database": check_database(), "redis": check_redis(), "payment": check_payment()}
    )


@never_cache
@require_GET
def ready(request):
    return _report({"database": check_database()})


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "healthy", "timestamp": timezone.now().isoformat()})
