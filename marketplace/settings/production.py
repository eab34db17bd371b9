"""Production: every secret comes from the environment, or the process refuses to start.

`python manage.py check --deploy` passes with no warning under these settings
(tested in marketplace/tests/test_settings.py).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEVELOPMENT_WEBHOOK_SECRET, LOG_LEVEL, env, logging_config, redis_caches

JWT_SIGNING_KEY_MIN_BYTES = 32
METRICS_TOKEN_MIN_LENGTH = 32


# The development tools (the demo data, the local Stripe, runlocal) are never
# loaded here: no command, task or model of theirs exists in production.
INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("marketplace.devtools")]  # noqa: F405


def required(name):
    """The value of an environment variable that production cannot do without."""
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production.")
    return value


DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

SECRET_KEY = required("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
# The links in emails: the first site name, over HTTPS, unless named.
SITE_URL = env("SITE_URL", default=f"https://{ALLOWED_HOSTS[0].lstrip('.*')}").rstrip("/")

DATABASES = {"default": env.db_url_config(required("DATABASE_URL"))}
# A connection that died (PostgreSQL restarted) is found and replaced before a
# request uses it: by the pool when there is one, by Django otherwise.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL connections come from a pool in each process (psycopg's): a
# request borrows one and gives it back when it ends, so no request waits for a
# new connection, and each thread of a worker has one at hand. DB_POOL_MAX_SIZE
# must cover the threads of a worker (GUNICORN_THREADS); 0 turns the pool off
# (PgBouncer in transaction mode does the pooling): connections are then kept
# CONN_MAX_AGE seconds.
DB_POOL_MAX_SIZE = env.int(
    "DB_POOL_MAX_SIZE", default=max(env.int("GUNICORN_THREADS", default=4), 4)
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django must not
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        # How long a request waits for a connection (all in use, or PostgreSQL
        # unreachable) before it answers 503.
        "timeout": env.float("DB_POOL_TIMEOUT", default=5.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

REDIS_URL = required("REDIS_URL")
CACHES = redis_caches(REDIS_URL)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False

STRIPE_SECRET_KEY = required("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = required("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = required("STRIPE_WEBHOOK_SECRET")
# The embedded run's secret is published in the code: anyone could sign a
# webhook with it (a "payment succeeded" for a ticket never paid).
for _name in ("STRIPE_WEBHOOK_SECRET", "STRIPE_CONNECT_WEBHOOK_SECRET"):
    if vars()[_name] == DEVELOPMENT_WEBHOOK_SECRET:
        raise ImproperlyConfigured(
            f"{_name} is the published development secret; set the one Stripe gives the endpoint."
        )

# API tokens are signed with HMAC-SHA256: a key shorter than the hash (32
# bytes) is weaker than it (RFC 7518, 3.2). Defaults to SECRET_KEY.
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY)}  # noqa: F405
if len(SIMPLE_JWT["SIGNING_KEY"].encode()) < JWT_SIGNING_KEY_MIN_BYTES:
    raise ImproperlyConfigured(
        f"JWT_SIGNING_KEY must be at least {JWT_SIGNING_KEY_MIN_BYTES} bytes (it defaults to "
        'SECRET_KEY): python -c "import secrets; print(secrets.token_urlsafe(48))"'
    )
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# Confirmed addresses only, whatever the environment says.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
BARCODE_HMAC_KEY = required("BARCODE_HMAC_KEY")

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
# EMAIL_PROVIDER sends through a provider's API (django-anymail) instead of
# EMAIL_URL's SMTP server; each needs its credentials from the environment
# (docs/operations.md, "Email"). Bounces and complaints come back on the
# provider's webhook, behind ANYMAIL_WEBHOOK_SECRET.
EMAIL_PROVIDERS = {
    "postmark": ("anymail.backends.postmark.EmailBackend", ["POSTMARK_SERVER_TOKEN"]),
    "mailgun": (
        "anymail.backends.mailgun.EmailBackend",
        ["MAILGUN_API_KEY", "MAILGUN_SENDER_DOMAIN", "MAILGUN_WEBHOOK_SIGNING_KEY"],
    ),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", ["SENDGRID_API_KEY"]),
    # Amazon SES takes its credentials the usual AWS way (role, AWS_* variables).
    "amazon_ses": ("anymail.backends.amazon_ses.EmailBackend", []),
}
EMAIL_PROVIDER = env("EMAIL_PROVIDER", default="").strip().lower()
if EMAIL_PROVIDER:
    if EMAIL_PROVIDER not in EMAIL_PROVIDERS:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER must be one of {', '.join(sorted(EMAIL_PROVIDERS))} (or unset: SMTP)."
        )
    EMAIL_BACKEND, _credentials = EMAIL_PROVIDERS[EMAIL_PROVIDER]
    ANYMAIL = {
        **{name: required(name) for name in _credentials},
        "WEBHOOK_SECRET": required("ANYMAIL_WEBHOOK_SECRET"),
    }
    if EMAIL_PROVIDER == "amazon_ses" and env("AMAZON_SES_CONFIGURATION_SET", default=""):
        ANYMAIL["AMAZON_SES_CONFIGURATION_SET_NAME"] = env("AMAZON_SES_CONFIGURATION_SET")

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}

# HTTPS everywhere, behind a proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# /health, /health/ready and /health/live are probed over plain HTTP, and
# Prometheus scrapes each node's /metrics at its own address.
SECURE_REDIRECT_EXEMPT = [r"^health(/ready|/live)?$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# "__Host-": the browser keeps these cookies only if set over HTTPS, for the
# whole site and for this host alone (no sibling subdomain can plant one).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy of base.py, plus: any http:// address on a page
# (an avatar, an event picture) is fetched over https instead.
CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY,  # noqa: F405
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],  # noqa: F405
        "upgrade-insecure-requests": True,
    },
}

# Watching Encore (docs/operations.md): JSON log lines unless LOG_FORMAT=text.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
# /metrics shows the site's traffic and sales: a guessable token would publish them.
if METRICS_TOKEN and len(METRICS_TOKEN) < METRICS_TOKEN_MIN_LENGTH:  # noqa: F405
    raise ImproperlyConfigured(
        f"METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters (or unset): "
        'python -c "import secrets; print(secrets.token_urlsafe(32))"'
    )
