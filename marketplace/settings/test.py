"""Settings for `make test`: PostgreSQL and Redis on localhost, overridable by the env."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encore")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")

from .base import *  # noqa: E402, F403
from .base import VAR_DIR, env  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A Celery worker started by a test in its own process writes email to files.
EMAIL_BACKEND = os.environ.get(
    "TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "test-email"))
# Tasks run in the test's process, except in a Celery worker a test starts.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
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
