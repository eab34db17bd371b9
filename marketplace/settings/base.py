"""Settings read from the environment, with defaults for the embedded run.

`make run` needs nothing set: SQLite under var/, a local-memory cache, Celery
tasks run eagerly, email printed to the console and Stripe calls sent to
localstripe on 127.0.0.1:8420. Every default can be overridden by an
environment variable of the same name (see README.md, "Configuration").
"""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from string import Template

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from events.zones import COUNTRY_TIME_ZONES, MULTI_ZONE_COUNTRIES
from marketplace.core.logs import logging_config


def gettext_noop(text: str) -> str:
    """Marks a setting's text for the catalogues (makemessages reads the name);
    pages translate it when they show it. Django's own gettext_noop would read
    the settings while they are being made."""
    return text


BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def env_decimal(name, default):
    """A rate from the environment as an exact Decimal (never through float)."""
    return Decimal(env.str(name, default=str(default)))


# A .env file is optional and never committed; the environment wins over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
# Only good for the embedded run; production.py requires a real one.
SECRET_KEY = env("SECRET_KEY", default="embedded-run-only-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
# The site's address as its users reach it, for the links in emails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "marketplace.error_views.csrf_failure"

INSTALLED_APPS = [
    # Django's admin, behind allauth's login and two-step login (marketplace/admin_site.py).
    "marketplace.admin_site.EncoreAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Country names in each language (marketplace/core/countries.py).
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
    # Email through a provider's API in production, and its delivery webhooks
    # (bounces, complaints): docs/operations.md, "Email".
    "anymail",
    # The kernel (docs/architecture.md), under its first label "marketplace".
    "marketplace.core",
    "accounts",
    "events",
    "tickets",
    "listings",
    "payments",
    "messaging",
    # The demo data, the local Stripe and `runlocal`: production's settings
    # take it out (docs/architecture.md, "Development tools").
    "marketplace.devtools",
]

MIDDLEWARE = [
    # First: the request id, the access log line and the latency metric.
    "marketplace.access.AccessMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy, Permissions-Policy, request body limit.
    "marketplace.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request's language: the address's prefix, else the account's, the
    # switcher's cookie, Accept-Language (marketplace/i18n.py).
    "marketplace.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.core.api.throttling.RateLimitHeadersMiddleware",
    # Last, nearest the views: the domain errors a page lets escape (404, 403,
    # a flash message after a refused form post).
    "marketplace.page_errors.PageErrorsMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "marketplace.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'encore.sqlite3'}"),
}
if "DATABASE_URL" not in env:
    # The embedded run's SQLite file lives in var/, which a fresh clone lacks.
    VAR_DIR.mkdir(exist_ok=True)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded run under concurrency (buyers racing for one ticket, Stripe's
    # webhook beside pages): every answer is a sale or a refusal, never a 503
    # "database is locked" (marketplace/tests/test_embedded_concurrency.py).
    # - IMMEDIATE: a write transaction takes SQLite's single write lock when it
    #   begins, waiting its turn, rather than starting as a reader and failing
    #   at once when it wants to write while another writer holds the lock.
    # - timeout: how long a request waits for that lock, in seconds.
    # - WAL: readers (pages, the other buyers' checks) never block the writer,
    #   nor it them; synchronous=NORMAL is WAL's usual, durable-enough level.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Services own their transactions (STYLE.md, 6); requests are not atomic.
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# --- Cache ------------------------------------------------------------------


def redis_caches(url: str) -> dict:
    """CACHES on Redis through django-redis."""
    return {
        "default": {
            # django-redis, with add() failing open too (marketplace/cache.py).
            "BACKEND": "marketplace.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Redis down degrades (cache misses), it never breaks a page.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # After an error, Redis is skipped for a few seconds: a hung
                # Redis costs one timeout, not one per call.
                "REDIS_CLIENT_CLASS": "marketplace.cache.CircuitBreakerRedis",
            },
            "KEY_PREFIX": "encore",
        }
    }


# The circuit breaker (marketplace/cache.py) logs an outage once per pause.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
CACHE_REDIS_RETRY_SECONDS = env.float("CACHE_REDIS_RETRY_SECONDS", default=5.0)
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database and are read through the cache: a logged-in
# page costs a cache read, not a query. The database stays the record, so Redis
# down (or emptied) logs nobody out (marketplace/tests/faults/test_redis_down.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth -------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Site sign-up, password change and reset, and the API's sign-up alike: at
# least 12 characters, not like the account's email or name, not a common
# password, not only digits, not only whitespace.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.password_validation.NotOnlyWhitespaceValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "events:home"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: the site's sign-up, login, email verification and password
# reset. Email is the login; an address must be confirmed before the first
# login ("mandatory"), the link printed on the console in the embedded run.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# The sign-up form hashes the password for a taken address too (no timing leak).
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# No answer tells whether an address has an account (sign-up, reset).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Encore: "
# A password login counts only the per-address part against failures (the
# account itself cools down instead: accounts/login_limits.py); codes of the
# two-step login count per account too.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/15m/ip,5/15m/key"}
# How long an emailed verification code stays valid.
EMAIL_VERIFICATION_DAYS = env.int("EMAIL_VERIFICATION_DAYS", default=3)
# An API login with the right password of an unconfirmed address emails a new
# code, at most once in this many seconds (allauth's site does the same).
EMAIL_VERIFICATION_RESEND_SECONDS = env.int("EMAIL_VERIFICATION_RESEND_SECONDS", default=180)
# Security changes (password, addresses, two-step login) are emailed to the
# account, through the outbox like all of allauth's email.
ACCOUNT_EMAIL_NOTIFICATIONS = True

# Two-step login (allauth.mfa): an authenticator app (TOTP) backed by recovery
# codes, and passkeys or security keys (WebAuthn; browsers offer it on https
# and on http://localhost, never on a bare IP address such as 127.0.0.1).
# Staff need one to reach the admin (marketplace/admin_site.py). The failed
# codes count against ACCOUNT_RATE_LIMITS "login_failed", per account.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
# Its secrets are encrypted with a key derived from SECRET_KEY: when rotating
# SECRET_KEY, list the old one here (comma-separated) or they become unreadable.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Encore"
# A code from the period before or after is accepted too (phone clocks drift);
# each code is still accepted only once.
MFA_TOTP_TOLERANCE = 1
# The devices logged in to an account (allauth.usersessions, /accounts/sessions/)
# are recorded at login, not refreshed on every request: that would write to
# the database on every page.
USERSESSIONS_TRACK_ACTIVITY = False

# --- Internationalisation -----------------------------------------------------

LANGUAGE_CODE = "en"
# The languages of the site, its emails and the API's messages (docs/i18n.md):
# each has a complete catalogue under locale/, compiled by `make install`.
LANGUAGES = [
    ("en", "English"),
    ("nl", "Nederlands"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times in each language's own form (marketplace/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["marketplace.formats"]
# The Babel locale money is written in, per language: English as in Ireland
# ("€34.00"), the others as in their largest market ("€ 34,00", "34,00 €").
MONEY_LOCALES = {"en": "en_IE", "nl": "nl_NL", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
TIME_ZONE = env("TIME_ZONE", default="Europe/Dublin")
USE_I18N = True
USE_TZ = True

# --- Static and private files -----------------------------------------------------

STATIC_URL = "static/"
# Where collectstatic writes (the image does it at build time).
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded event pictures (events/images.py), public. MEDIA_URL may be an https
# address (a bucket or CDN serving the default storage): the policy's img-src
# then allows its origin (marketplace.security).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = env("MEDIA_URL", default="media/")
# Ticket files never sit under a public URL: they are served by a view that
# checks ownership (ARCHITECTURE.md, rule 10).
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=VAR_DIR / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "marketplace.core.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# --- Email ------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Encore <tickets@encore.localhost>")
# The provider's delivery webhooks (/email/webhooks/<provider>/tracking/) are
# called with HTTP basic auth "user:password" = ANYMAIL_WEBHOOK_SECRET
# (production requires it when EMAIL_PROVIDER is set).
ANYMAIL = {"WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default="")}
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Named on the accessibility statement (/accessibility/): where to report a barrier.
ACCESSIBILITY_CONTACT_EMAIL = env(
    "ACCESSIBILITY_CONTACT_EMAIL", default="accessibility@encore.localhost"
)
# Who runs Encore, named on the privacy notice and the terms (/privacy/, /terms/):
# placeholders until the operating company's details are set in the environment.
OPERATOR_NAME = env("OPERATOR_NAME", default="Encore Marketplace Ltd")
OPERATOR_ADDRESS = env("OPERATOR_ADDRESS", default="1 Example Quay, Dublin 1, D01 X0X0, Ireland")
OPERATOR_REGISTRATION = env("OPERATOR_REGISTRATION", default="Company number 000000 (Ireland)")
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL", default="privacy@encore.localhost")
SUPPORT_CONTACT_EMAIL = env("SUPPORT_CONTACT_EMAIL", default="support@encore.localhost")

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process (the embedded run).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
# A task unacknowledged for this long (its worker died) is delivered again.
# It must exceed the longest task; tests shorten it to see a redelivery.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # A broker that accepts connections and never answers must not hold the
    # request that publishes a task (without these, it waits forever).
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
# Tasks are published after their change commits; with the broker down, one
# immediate retry (for a stale pooled connection), then the request goes on
# (Celery's default waits 0.6 s more per task). What was not enqueued is found
# by the periodic jobs: the email outbox sweep, the reservation, payout and
# late-payment jobs (docs/faults.md).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# After a failed publish, a web process skips publishing for this long (the
# periodic jobs pick the work up), then tries the broker again.
BROKER_RETRY_SECONDS = env.float("BROKER_RETRY_SECONDS", default=10.0)
# The queue of tasks without a route (tests give each worker one of its own).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# The periodic jobs of the escrow and the email outbox (celery beat).
CELERY_BEAT_SCHEDULE = {
    "release-expired-reservations": {
        "task": "payments.tasks.reservations_release_expired",
        "schedule": 60.0,
    },
    "auto-confirm-transactions": {
        "task": "payments.tasks.transactions_auto_confirm",
        "schedule": 15 * 60.0,
    },
    "expire-listings": {"task": "listings.tasks.listings_expire", "schedule": 5 * 60.0},
    "withdraw-rejected-traders-listings": {
        "task": "listings.tasks.rejected_traders_listings_withdraw",
        "schedule": 5 * 60.0,
    },
    "send-scheduled-payouts": {
        "task": "payments.tasks.payouts_send_scheduled",
        "schedule": 5 * 60.0,
    },
    "send-ready-emails": {"task": "messaging.tasks.emails_send_ready", "schedule": 60.0},
    "refund-late-payments": {
        "task": "payments.tasks.late_payments_refund",
        "schedule": 5 * 60.0,
    },
    "flush-expired-api-tokens": {"task": "accounts.tasks.tokens_flush", "schedule": 24 * 3600.0},
    "remind-sellers-without-payout-details": {
        "task": "payments.tasks.payout_account_reminders",
        "schedule": 6 * 3600.0,
    },
    "purge-idempotency-keys": {
        "task": "marketplace.core.tasks.idempotency_keys_purge",
        "schedule": 3600.0,
    },
    "expire-ticket-transfers": {
        "task": "tickets.tasks.ticket_transfers_expire",
        "schedule": 5 * 60.0,
    },
    # A cancelled event whose settling job is not finished (the broker was down,
    # a worker died), and buyers not yet told an event moved.
    "resume-event-changes": {
        "task": "payments.tasks.event_changes_resume",
        "schedule": 5 * 60.0,
    },
    # The waiting list: raffles drawn once their window closes, offers whose
    # time is up passed on to the next fan, held tickets offered (rule 13).
    "move-waitlist-offers-on": {
        "task": "listings.tasks.waitlist_offers_move_on",
        "schedule": 30.0,
    },
}

# --- Stripe -----------------------------------------------------------------

# Defaults point at localstripe, which accepts any key of the right shape.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_encore_localstripe")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_encore_localstripe")
# The embedded run's webhook secret: published here, so production refuses it.
DEVELOPMENT_WEBHOOK_SECRET = "whsec_encore_localstripe"  # noqa: S105 (public on purpose)
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=DEVELOPMENT_WEBHOOK_SECRET)
# Stripe sends connected accounts' events (account.updated) to a Connect
# endpoint of their own, signed with that endpoint's secret: point it at the
# same URL and give its secret here (empty: one endpoint for everything).
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
# Each thread keeps its connection to Stripe open between calls (off: a new
# connection per call, as the fault tests need to put Stripe behind a fault).
STRIPE_KEEP_ALIVE = env.bool("STRIPE_KEEP_ALIVE", default=True)
# Stripe.js for the checkout page: localstripe's stand-in by default (served by
# localstripe itself); https://js.stripe.com/v3/ with real Stripe.
STRIPE_JS_URL = env("STRIPE_JS_URL", default="")
# Stripe's hosted Connect onboarding: its origin may receive the "Get paid"
# form's redirect (Content-Security-Policy form-action). The embedded run's
# stand-in page is served by the local Stripe at STRIPE_API_BASE.
STRIPE_CONNECT_ORIGIN = env("STRIPE_CONNECT_ORIGIN", default="")
# Countries where sellers can open a payout account (Stripe Connect Express),
# and the one the "Get paid" form proposes first.
CONNECT_COUNTRIES = env.list(
    "CONNECT_COUNTRIES",
    default=["AT", "BE", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "PT", "SE"],
)
CONNECT_DEFAULT_COUNTRY = env("CONNECT_DEFAULT_COUNTRY", default="IE")
# A card payment: tries per reservation (cards, or authentications) before
# the ticket goes back on sale; a brake on testing stolen cards.
PAYMENT_ATTEMPTS_MAX = env.int("PAYMENT_ATTEMPTS_MAX", default=5)
# A transfer Stripe refused is tried again after PAYOUT_RETRY_MINUTES,
# doubling each time, PAYOUT_MAX_ATTEMPTS times in all; then staff retry it.
PAYOUT_RETRY_MINUTES = env.int("PAYOUT_RETRY_MINUTES", default=15)
PAYOUT_MAX_ATTEMPTS = env.int("PAYOUT_MAX_ATTEMPTS", default=6)
# A seller with money waiting and no payout details is reminded this often.
PAYOUT_ACCOUNT_REMINDER_DAYS = env.int("PAYOUT_ACCOUNT_REMINDER_DAYS", default=3)
# API Idempotency-Key: how long an answer is kept for replay, and how long a
# retry waits for a first request that is still running before answering 409.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)

# --- Marketplace rules (ARCHITECTURE.md, "Rules that must always hold") -------

DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="EUR")
PLATFORM_FEE_RATE = env_decimal("PLATFORM_FEE_RATE", default=Decimal("0.08"))
PRICE_FLOOR_RATE = env_decimal("PRICE_FLOOR_RATE", default=Decimal("0.80"))
# Highest markup over face value, per event category; "other" covers the rest.
PRICE_MARKUP_CAPS = {
    "concert": env_decimal("PRICE_MARKUP_CONCERT", default=Decimal("0.20")),
    "sports": env_decimal("PRICE_MARKUP_SPORTS", default=Decimal("0.15")),
    "theater": env_decimal("PRICE_MARKUP_THEATER", default=Decimal("0.25")),
    "festival": env_decimal("PRICE_MARKUP_FESTIVAL", default=Decimal("0.30")),
    "other": env_decimal("PRICE_MARKUP_OTHER", default=Decimal("0.20")),
}
# Per-country overrides: {"IE": {"*": "0"}} makes every Irish event face-value
# only; {"GB": {"sports": "0.10"}} changes one category. JSON in the env.
PRICE_MARKUP_CAPS_BY_COUNTRY = env.json("PRICE_MARKUP_CAPS_BY_COUNTRY", default={})
# Resale laws, by country: they replace the category markups above. "basis" is
# what the cap is counted from: "original_price" (face value plus the unavoidable
# fees paid with the ticket); "markup" the most over it; "text" what the fee
# breakdown says; "designated_only": the law covers only events flagged
# resale_at_original_price. listings.pricing.resale_rule decides which applies.
# JSON in the env (RESALE_RULES) replaces the whole table.
RESALE_RULES = env.json(
    "RESALE_RULES",
    default={
        # UK: resale above the original price becomes unlawful (government decision
        # of 19 November 2025).
        "GB": {
            "basis": "original_price",
            "markup": "0",
            "text": gettext_noop("UK law: at most the original price"),
        },
        # Ireland's Sale of Tickets Act 2021: designated events and venues only.
        "IE": {
            "basis": "original_price",
            "markup": "0",
            "text": gettext_noop(
                "Irish law (Sale of Tickets Act 2021): at most the original price"
            ),
            "designated_only": True,
        },
        # New South Wales, Victoria and Western Australia cap resale at 10% above
        # the original price; an event has no state, so every Australian event
        # takes it.
        "AU": {
            "basis": "original_price",
            "markup": "0.10",
            "text": gettext_noop("Australian law: at most 10% above the original price"),
        },
    },
)
# An event flagged resale_at_original_price where no law above says it in its own
# words (flagged by staff): this rule.
RESALE_RULE_AT_ORIGINAL_PRICE = {
    "basis": "original_price",
    "markup": "0",
    "text": gettext_noop("Designated event: at most the original price"),
}
# Countries whose venues of this capacity or more are designated by law: an event
# there is flagged resale_at_original_price when created, or when its country or
# venue capacity changes (events.services).
RESALE_DESIGNATED_VENUE_CAPACITY = env.json(
    "RESALE_DESIGNATED_VENUE_CAPACITY", default={"IE": 1000}
)
for _country, _rule in {**RESALE_RULES, "*": RESALE_RULE_AT_ORIGINAL_PRICE}.items():
    if _rule.get("basis") not in ("original_price", "face_value") or not _rule.get("text"):
        raise ImproperlyConfigured(
            f"RESALE_RULES[{_country!r}] needs a basis (original_price or face_value) and a text."
        )
    if Decimal(str(_rule.get("markup", "0"))) < 0:
        raise ImproperlyConfigured(f"RESALE_RULES[{_country!r}]: the markup cannot be negative.")
# The countries Encore sells tickets for: an event's country is one of these
# (events.services refuses another), shown by name in the reader's language
# (marketplace/core/countries.py). By default the six home markets, every country
# with a resale law or a designation rule above, every country sellers are paid
# out in, and every country whose time zones events.zones knows (an event there
# already works). ENCORE_COUNTRIES in the env replaces the list.
ENCORE_COUNTRIES = sorted(
    {
        code.strip().upper()
        for code in env.list(
            "ENCORE_COUNTRIES",
            default=[
                "IE", "GB", "NL", "DE", "FR", "ES",
                *RESALE_RULES, *RESALE_DESIGNATED_VENUE_CAPACITY, *CONNECT_COUNTRIES,
                *COUNTRY_TIME_ZONES, *MULTI_ZONE_COUNTRIES,
            ],
        )
    }
)  # fmt: skip
if bad_codes := [code for code in ENCORE_COUNTRIES if not re.fullmatch(r"[A-Z]{2}", code)]:
    raise ImproperlyConfigured(f"ENCORE_COUNTRIES: not ISO alpha-2 codes: {bad_codes}")
# django-countries offers (and names) only these.
COUNTRIES_ONLY = ENCORE_COUNTRIES
RESERVATION_MINUTES = env.int("RESERVATION_MINUTES", default=15)
AUTO_CONFIRM_HOURS = env.int("AUTO_CONFIRM_HOURS", default=48)
DISPUTE_WINDOW_HOURS = env.int("DISPUTE_WINDOW_HOURS", default=48)
# An event moved to another date or time: a buyer whose money Encore still holds
# may choose a full refund instead, for this many days after the move.
POSTPONEMENT_REFUND_DAYS = env.int("POSTPONEMENT_REFUND_DAYS", default=14)
# A cancelled event's sales are settled by a job, this many items a batch.
EVENT_CANCELLATION_BATCH = env.int("EVENT_CANCELLATION_BATCH", default=200)
MAX_TICKETS_PER_EVENT = env.int("MAX_TICKETS_PER_EVENT", default=6)
# The waiting list (listings.waitlist): how long a fan has to take an offered
# ticket, by how far away the event's start is: [[seconds before the start at
# least, offer minutes], ...], the first that applies wins. An offer that would
# end between WAITLIST_QUIET_HOURS (local to the event, start inclusive, end
# exclusive) ends that many minutes after the quiet hours instead, unless the
# event starts within WAITLIST_QUIET_HOURS_UNTIL_START_HOURS.
WAITLIST_OFFER_WINDOWS = env.json(
    "WAITLIST_OFFER_WINDOWS",
    default=[[7 * 24 * 3600, 30], [24 * 3600, 10], [0, 3]],
)
WAITLIST_QUIET_HOURS = env.json("WAITLIST_QUIET_HOURS", default=[0, 8])
WAITLIST_QUIET_HOURS_UNTIL_START_HOURS = env.int(
    "WAITLIST_QUIET_HOURS_UNTIL_START_HOURS", default=24
)
# Offers let lapse one after another before a fan is moved to the back.
WAITLIST_LAPSES_TO_BACK = env.int("WAITLIST_LAPSES_TO_BACK", default=2)
# A raffle window an organizer or staff open lasts 1 to this many minutes.
WAITLIST_RAFFLE_MAX_MINUTES = env.int("WAITLIST_RAFFLE_MAX_MINUTES", default=120)
if not WAITLIST_OFFER_WINDOWS or any(len(w) != 2 or int(w[1]) < 1 for w in WAITLIST_OFFER_WINDOWS):
    raise ImproperlyConfigured(
        "WAITLIST_OFFER_WINDOWS: [[seconds before the start, minutes >= 1], ...]."
    )
# A private seller who has listed this many tickets in the last 365 days is asked
# whether they sell as a trader before listing more (EU DSA Art. 30, Omnibus
# directive 2019/2161). 25: above what a fan resells (four events at the
# MAX_TICKETS_PER_EVENT of 6 is 24) and below the 30 sales a year at which EU
# platforms report sellers to the tax authorities (DAC7).
TRADER_THRESHOLD_TICKETS_PER_YEAR = env.int("TRADER_THRESHOLD_TICKETS_PER_YEAR", default=25)
# A ticket transferred by email is held this many days for its recipient to
# claim (at the latest until the event starts), then goes back to the sender.
TICKET_TRANSFER_HOLD_DAYS = env.int("TICKET_TRANSFER_HOLD_DAYS", default=7)
# Ticket files: PDF, PNG or JPEG up to this size.
TICKET_FILE_MAX_BYTES = env.int("TICKET_FILE_MAX_BYTES", default=5 * 1024 * 1024)
# Event pictures (events/images.py; docs/architecture.md, "Event pictures"): a
# JPEG, PNG or WebP up to EVENT_IMAGE_MAX_BYTES, at least EVENT_IMAGE_MIN_SIDE
# pixels on each side and at most EVENT_IMAGE_MAX_PIXELS in all (a small file
# may decode to a huge bitmap), stored in the default storage at each of
# EVENT_IMAGE_WIDTHS narrower than the original (never enlarged).
EVENT_IMAGE_MAX_BYTES = env.int("EVENT_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
EVENT_IMAGE_MAX_PIXELS = env.int("EVENT_IMAGE_MAX_PIXELS", default=25_000_000)
EVENT_IMAGE_MIN_SIDE = env.int("EVENT_IMAGE_MIN_SIDE", default=200)
EVENT_IMAGE_WIDTHS = tuple(env.list("EVENT_IMAGE_WIDTHS", cast=int, default=[480, 960, 1600]))
# The hosts a picture given by address (an event's image_url) may come from,
# e.g. "images.example.com" or "*.cdn.example.net": pages load images from
# these (and the site) only, so the Content-Security-Policy's img-src lists
# them (marketplace.security). Empty: uploaded pictures only.
EVENT_IMAGE_HOSTS = env.list("EVENT_IMAGE_HOSTS", default=[])
MESSAGE_MAX_LENGTH = env.int("MESSAGE_MAX_LENGTH", default=2000)
# Key of the HMAC that stores barcodes; production.py requires its own.
BARCODE_HMAC_KEY = env("BARCODE_HMAC_KEY", default="embedded-run-barcode-key")
# Reading the barcode of an uploaded ticket (tickets/evidence.py), in a process
# of its own held to these bounds: pages of a PDF, the resolution pages are
# drawn at, pixels of a page or image, memory, and wall-clock time.
TICKET_DECODE_MAX_PAGES = env.int("TICKET_DECODE_MAX_PAGES", default=5)
TICKET_DECODE_DPI = env.int("TICKET_DECODE_DPI", default=200)
TICKET_DECODE_MAX_PIXELS = env.int("TICKET_DECODE_MAX_PIXELS", default=40_000_000)
TICKET_DECODE_MEMORY_MB = env.int("TICKET_DECODE_MEMORY_MB", default=1024)
TICKET_DECODE_TIMEOUT_SECONDS = env.float("TICKET_DECODE_TIMEOUT_SECONDS", default=10.0)
# A face value typed for an event without price tiers waits for staff review
# when it is above FACE_VALUE_REVIEW_RATIO x the median of the event's other
# verified tickets or, for the first ticket of an event, above
# FACE_VALUE_REVIEW_FIRST_MAX (in the event's currency).
FACE_VALUE_REVIEW_RATIO = env_decimal("FACE_VALUE_REVIEW_RATIO", default=Decimal("2"))
FACE_VALUE_REVIEW_FIRST_MAX = env_decimal("FACE_VALUE_REVIEW_FIRST_MAX", default=Decimal("250.00"))

# --- Rate limits (django-ratelimit, on the default cache) ---------------------

RATELIMIT_AUTH = env("RATELIMIT_AUTH", default="5/15m")
RATELIMIT_API = env("RATELIMIT_API", default="100/15m")
# Per account, failed logins never lock the owner out (accounts/login_limits.py):
# past RATELIMIT_AUTH's count, each failure starts a cooldown of
# LOGIN_COOLDOWN_SECONDS, doubling, at most RATELIMIT_AUTH's period, which
# spares the addresses the account logged in from in LOGIN_KNOWN_ADDRESS_DAYS.
LOGIN_COOLDOWN_SECONDS = env.int("LOGIN_COOLDOWN_SECONDS", default=30)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)
RATELIMIT_USE_CACHE = "default"
# The cache unreachable: let requests through rather than refuse everyone.
RATELIMIT_FAIL_OPEN = True

# --- Client addresses (marketplace/core/client_ip.py) -------------------------------

# Behind a load balancer or proxy: the header it writes the client's address
# into ("X-Forwarded-For", "X-Real-IP"...) and how many proxies of ours append
# to it (the client is that many places from the right). Unset, the socket's
# address is the client's. Every reader of the address (audit trail, rate
# limits, allauth, admin) goes through marketplace.core.client_ip. The older
# RATELIMIT_IP_META_KEY variable, if set, still names the header.
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER", default=env("RATELIMIT_IP_META_KEY", default=""))
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=1 if TRUSTED_PROXY_HEADER else 0)
if TRUSTED_PROXY_HEADER and TRUSTED_PROXY_HOPS < 1:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_HOPS must be 1 or more when TRUSTED_PROXY_HEADER is set."
    )
# django-ratelimit's "ip" key reads the same address.
RATELIMIT_IP_META_KEY = "marketplace.core.client_ip.client_ip_or_unknown"

# --- Lists ------------------------------------------------------------------

# Lists on the site and the API are paged through this many results at most;
# filters narrow a search to the rest (marketplace/core/pagination.py).
PAGINATION_MAX_RESULTS = env.int("PAGINATION_MAX_RESULTS", default=10_000)

# --- Partner API (DRF, simplejwt, drf-spectacular) ----------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.EncoreJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["marketplace.core.api.throttling.ApiRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["marketplace.core.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "marketplace.core.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_AUTHENTICATION_RULE": "accounts.authentication.user_may_authenticate",
}
# An API session (one login, its refresh tokens rotating) ends this many days
# after the login, however often it is refreshed: then the partner logs in again.
JWT_SESSION_MAX_DAYS = env.int("JWT_SESSION_MAX_DAYS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "Encore partner API",
    # The partner's guide, shown at the top of /api/docs/.
    "DESCRIPTION": Template(
        (BASE_DIR / "marketplace" / "core" / "api" / "guide.md").read_text()
    ).substitute(
        access_minutes=int(SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() // 60),
        max_results=f"{PAGINATION_MAX_RESULTS:,}",
        reservation_minutes=RESERVATION_MINUTES,
        dispute_hours=DISPUTE_WINDOW_HOURS,
        fee=f"{(PLATFORM_FEE_RATE * 100).normalize():f}",
        floor=f"{(PRICE_FLOOR_RATE * 100).normalize():f}",
        **{category: f"{(cap * 100).normalize():f}" for category, cap in PRICE_MARKUP_CAPS.items()},
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.core.api.schema.add_common_responses",
    ],
    # Path ids (marketplace.core.api.base.IdConverter) are integers up to 18 digits.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
        # A user's public id (accounts.api.PublicIdConverter), never a row id.
        "public_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"},
    },
    "ENUM_NAME_OVERRIDES": {
        "UserStatusEnum": "accounts.models.User.Status",
        "UserRoleEnum": "accounts.models.User.Role",
        "EventStatusEnum": "events.models.Event.Status",
        "NewEventStatusEnum": [("draft", "Draft"), ("published", "Published")],
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "ListingStatusEnum": "listings.models.Listing.Status",
        "TransactionStatusEnum": "payments.models.Transaction.Status",
        "PaymentStatusEnum": "payments.models.Transaction.PaymentStatus",
        "DisputeStatusEnum": "payments.models.Dispute.Status",
        "ListingReportReasonEnum": "listings.models.ListingReport.Reason",
        "ListingReportStatusEnum": "listings.models.ListingReport.Status",
        # How a seller sells (EU DSA Art. 30), and the review of a trader's details.
        "SellerKindEnum": "accounts.models.TraderDeclaration.Kind",
        "TraderDeclarationStatusEnum": "accounts.models.TraderDeclaration.Status",
        # The caller's side of a sale (TransactionOutput.role, payments.selectors).
        "TransactionRoleEnum": ["buyer", "seller", "staff"],
    },
}

# --- Security: headers, cookies, request sizes, the admin's address -------------

# Content-Security-Policy (django-csp 4). Scripts and styles come from the site
# itself only: no inline script or style, no eval. The origins Stripe.js needs
# are added per response from STRIPE_JS_URL and STRIPE_API_BASE
# (marketplace.security). An inline script that must stay carries the
# request's nonce (`nonce="{{ request.csp_nonce }}"`): only /api/docs/ does.
# Images come from the site itself (uploaded pictures, the category
# pictures), data: URIs (the API docs' stylesheet uses them) and the hosts of
# EVENT_IMAGE_HOSTS, added per response (marketplace.security); a page showing
# a picture from elsewhere (a member's own avatar) adds that one origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page of the site uses (Permissions-Policy header).
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "usb": [],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script of the site reads the CSRF cookie (forms carry the token).
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Request sizes. A body declared larger than REQUEST_BODY_MAX_BYTES is refused
# with 413 before it is read (a ticket file plus the form around it fits).
# Form fields and JSON bodies (not files) are held to
# DATA_UPLOAD_MAX_MEMORY_SIZE; files past FILE_UPLOAD_MAX_MEMORY_SIZE go to a
# temporary file rather than memory.
REQUEST_BODY_MAX_BYTES = env.int(
    "REQUEST_BODY_MAX_BYTES",
    default=max(TICKET_FILE_MAX_BYTES, EVENT_IMAGE_MAX_BYTES) + 1024**2,
)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024**2)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=1024**2)
# The admin's bulk actions post one field per selected row (100 rows a page).
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=500)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=5)

# Where the staff admin lives ("admin/"; a less guessable path draws fewer bots).
ADMIN_URL = env("ADMIN_URL", default="admin/")
if not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/") or ADMIN_URL.strip("/") in ("", "api"):
    raise ImproperlyConfigured(
        'ADMIN_URL must be a path like "admin/" or "staff-7f3a/": not empty, ending with a '
        "slash, not starting with one, and not the API's."
    )

# --- Watching Encore: logs, request ids, Sentry, metrics -----------------------
# (docs/operations.md, "Watching Encore")

# Logs: "json" (one object per line with time, level, logger, message and
# request_id, for a log pipeline; production's default) or "text" (one
# readable line; the embedded run's default, while DEBUG is on).
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# The request id of a request is taken from this header when the proxy sends
# a short safe token (8 to 64 letters, digits, ".", "_" or "-"), else made
# fresh; empty: always made here. It is returned as X-Request-ID and written
# on every log line, audit row, Sentry event and Celery task of the request.
REQUEST_ID_HEADER = env("REQUEST_ID_HEADER", default="X-Request-ID")
# Celery's worker and beat log through LOGGING above (JSON or text, with the
# request id of each task) rather than through a handler of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Sentry (errors of the site, the API and the tasks), on only when a DSN is set.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="development")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")
# The share of requests and tasks traced for performance (0: errors only).
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if not 0.0 <= SENTRY_TRACES_SAMPLE_RATE <= 1.0:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1.")

# Prometheus's scrape of /metrics must bear `Authorization: Bearer <METRICS_TOKEN>`;
# unset, /metrics answers 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# The listings' search indexes carry expires_at along (INCLUDE) on PostgreSQL;
# SQLite, the embedded run's database, builds them without it, as Django says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
