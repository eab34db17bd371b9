"""Production settings refuse to start without their secrets and pass check --deploy."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "encore.example.com",
    "DATABASE_URL": "postgres://encore@db.example.com:5432/encore",
    "REDIS_URL": "redis://cache.example.com:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_from_the_vault",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_from_the_vault",
    "STRIPE_WEBHOOK_SECRET": "whsec_from_the_vault",
    "BARCODE_HMAC_KEY": secrets.token_urlsafe(32),
    "EMAIL_URL": "smtp+tls://mailer:password@smtp.example.com:587",
}


def manage(*args, env):
    # Only PATH from the outside: the test's own env vars must not leak in.
    clean = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_check_deploy_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "BARCODE_HMAC_KEY",
        "ALLOWED_HOSTS",
    ],
)
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


# What a browser gets from production: read in the production process itself.
PRODUCTION_SECURITY = """
import json
from django.conf import settings as s
from csp.utils import build_policy
from marketplace.security import permissions_policy_header, stripe_csp_sources
names = [
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_NAME", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_NAME",
    "SECURE_REFERRER_POLICY", "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF", "ADMIN_URL",
]
values = {name: getattr(s, name) for name in names}
values["csp"] = build_policy(update=stripe_csp_sources())
values["permissions"] = permissions_policy_header(s.PERMISSIONS_POLICY)
print(json.dumps(values))
"""


def test_production_sends_the_security_headers_and_secure_cookies():
    result = manage("shell", "--no-imports", "-c", PRODUCTION_SECURITY, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    csp = {
        name: sources for name, *sources in (part.split() for part in values.pop("csp").split(";"))
    }
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "ADMIN_URL": "admin/",
        "permissions": "camera=(), microphone=(), geolocation=(), usb=()",
    }
    # Real Stripe.js and nothing local; http:// images upgraded to https.
    assert csp["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert csp["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert "https://hooks.stripe.com" in csp["frame-src"]
    assert csp["upgrade-insecure-requests"] == []
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]


def test_production_refuses_debug():
    result = manage("check", env={**PRODUCTION_ENV, "DEBUG": "true"})

    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_the_embedded_defaults_need_no_environment():
    result = manage(
        "check", env={"DJANGO_SETTINGS_MODULE": "marketplace.settings.base", "DEBUG": "true"}
    )

    assert result.returncode == 0, result.stderr


def test_private_files_have_no_url():
    from marketplace.core.storage import private_storage

    with pytest.raises(ValueError):
        private_storage().url("tickets/1/abc.pdf")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("JWT_SIGNING_KEY", "short-key", "JWT_SIGNING_KEY must be at least 32 bytes"),
        ("JWT_SIGNING_KEY", "x" * 31, "JWT_SIGNING_KEY must be at least 32 bytes"),
        (
            "SECRET_KEY",
            "a-secret-key-of-31-bytes-long..",
            "JWT_SIGNING_KEY must be at least 32 bytes",
        ),
        (
            "STRIPE_WEBHOOK_SECRET",
            "whsec_encore_localstripe",
            "STRIPE_WEBHOOK_SECRET is the published development secret",
        ),
        (
            "STRIPE_CONNECT_WEBHOOK_SECRET",
            "whsec_encore_localstripe",
            "STRIPE_CONNECT_WEBHOOK_SECRET is the published development secret",
        ),
    ],
)
def test_production_refuses_a_weak_or_published_secret(variable, value, message):
    result = manage("check", "--deploy", env={**PRODUCTION_ENV, variable: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_production_takes_a_jwt_key_of_32_bytes():
    env = {**PRODUCTION_ENV, "JWT_SIGNING_KEY": secrets.token_urlsafe(32)}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


DEVTOOLS_PROBE = """
import sys
import django
django.setup()
from django.apps import apps
from django.core.management import get_commands
import marketplace.urls  # the whole site, as gunicorn loads it
print(apps.is_installed("marketplace.devtools"))
print(sorted(set(get_commands()) & {"runlocal", "seed_demo", "totp_code"}))
print(sorted(name for name in sys.modules if name.startswith("marketplace.devtools")))
"""


def test_production_never_loads_the_development_tools():
    clean = {"PATH": os.environ["PATH"], **PRODUCTION_ENV}
    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", DEVTOOLS_PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["False", "[]", "[]"]


def test_the_development_settings_have_the_development_tools():
    result = manage(
        "help", "seed_demo", env={"DJANGO_SETTINGS_MODULE": "marketplace.settings.base"}
    )

    assert result.returncode == 0, result.stderr
