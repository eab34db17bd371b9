"""GET /health: is the site able to serve, and which of its services are down."""

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
    backend = settings.CACHES["default"]["BACKEND"]
    if "django_redis" not in backend:
        return NOT_CONFIGURED
    from django_redis import get_redis_connection

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


@never_cache
@require_GET
def health(request):
    services = {"database": check_database(), "redis": check_redis(), "payment": check_payment()}
    down = sorted(name for name, state in services.items() if state == DOWN)
    body = {
        "status": "unhealthy" if down else "healthy",
        "timestamp": timezone.now().isoformat(),
        "services": services,
    }
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
