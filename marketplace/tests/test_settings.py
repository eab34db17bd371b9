"""Production settings refuse to start without their secrets and pass check --deploy."""

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
    assert "no issues" in result.stdout


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
    from marketplace.storage import private_storage

    with pytest.raises(ValueError):
        private_storage().url("tickets/1/abc.pdf")
