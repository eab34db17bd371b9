"""Settings for `make test`: PostgreSQL and Redis on localhost, overridable by the env."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured


def _redis_db(url: str) -> int:
    return int(urlsplit(url).path.strip("/") or 0)


def _with_redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encore")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
# The broker of the tests that start a real Celery worker
# (marketplace/tests/workers.py): a Redis database apart from the cache's.
os.environ.setdefault(
    "TEST_CELERY_BROKER_URL",
    _with_redis_db(os.environ["REDIS_URL"] or "redis://127.0.0.1:6379/1", 4),
)

# pytest-xdist (`make test-fast`, `make test`) runs the tests in worker
# processes gw0, gw1, ...; pytest-django gives each its own test database
# (test_<name>_gwN). What else the tests empty or fill is made per worker
# here: worker N takes the cache's and the broker's Redis databases shifted by
# N times the span they cover (REDIS_URL /1 and broker /4: gw0 1 and 4, gw1 5
# and 8), and a private folder of its own. A process that a test starts
# (gunicorn, a Celery worker) inherits the result and TEST_WORKER_RESOURCES,
# so it does not shift them again.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("TEST_WORKER_RESOURCES") != _worker:
    # An empty REDIS_URL (the local-memory cache) is per process already.
    _cache_db = _redis_db(os.environ["REDIS_URL"] or os.environ["TEST_CELERY_BROKER_URL"])
    _broker_db = _redis_db(os.environ["TEST_CELERY_BROKER_URL"])
    _shift = int(_worker.removeprefix("gw")) * (abs(_broker_db - _cache_db) + 1)
    if max(_cache_db, _broker_db) + _shift > 15:
        raise ImproperlyConfigured(
            f"pytest-xdist worker {_worker} would need Redis database "
            f"{max(_cache_db, _broker_db) + _shift}: run fewer workers, or give REDIS_URL "
            "and TEST_CELERY_BROKER_URL lower, adjacent databases."
        )
    _private = os.environ.get(
        "TEST_PRIVATE_STORAGE_ROOT",
        str(Path(__file__).resolve().parents[2] / "var" / "test-private"),
    )
    os.environ.update(
        REDIS_URL=os.environ["REDIS_URL"]
        and _with_redis_db(os.environ["REDIS_URL"], _cache_db + _shift),
        TEST_CELERY_BROKER_URL=_with_redis_db(
            os.environ["TEST_CELERY_BROKER_URL"], _broker_db + _shift
        ),
        TEST_PRIVATE_STORAGE_ROOT=f"{_private.rstrip('/')}-{_worker}",
        TEST_WORKER_RESOURCES=_worker,
    )

from .base import *  # noqa: E402, F403
from .base import VAR_DIR, env  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A Celery worker started by a test in its own process writes email to files.
EMAIL_BACKEND = os.environ.get(
    "TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "test-email"))
# The email provider's delivery webhooks: the tests post with this basic auth.
ANYMAIL = {"WEBHOOK_SECRET": "provider:webhook-test-secret"}
# Tasks run in the test's process, except in a Celery worker a test starts.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
TEST_CELERY_BROKER_URL = os.environ["TEST_CELERY_BROKER_URL"]
# Runs side by side on one machine each set a folder of their own.
PRIVATE_STORAGE_ROOT = env.path("TEST_PRIVATE_STORAGE_ROOT", default=VAR_DIR / "test-private")
STORAGES["private"]["OPTIONS"]["location"] = PRIVATE_STORAGE_ROOT  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"
# Static files come straight from static/ (no collectstatic before the tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Errors of the tests never reach a real Sentry, whatever .env says; a test
# of Sentry itself points TEST_SENTRY_DSN at a receiver it starts.
SENTRY_DSN = env("TEST_SENTRY_DSN", default="")
