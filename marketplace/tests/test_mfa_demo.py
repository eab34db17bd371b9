"""The demo staff account's two-step login: `seed_demo` gives it the secret
README.md publishes, and `manage.py totp_code` prints its current code in the
embedded run (and refuses anywhere else)."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.tests.factories import totp_code
from marketplace.devtools.demo_mfa import DEMO_STAFF_EMAIL, DEMO_STAFF_TOTP_SECRET

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_demo_staff_logs_in_to_the_admin_with_the_documented_secret(settings):
    output = run("seed_demo")
    settings.DEBUG = True  # the embedded run's

    code = run("totp_code", DEMO_STAFF_EMAIL).strip()

    assert DEMO_STAFF_TOTP_SECRET in output and "totp_code staff@encore.test" in output
    assert code == totp_code(DEMO_STAFF_TOTP_SECRET)
    client = Client()
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": DEMO_STAFF_EMAIL, "password": "encore-staff-2026"},
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_seeding_again_keeps_the_secret_and_adds_nothing():
    run("seed_demo")
    before = list(Authenticator.objects.order_by("id").values_list("id", "type"))

    run("seed_demo")

    assert list(Authenticator.objects.order_by("id").values_list("id", "type")) == before


def test_seeding_puts_back_the_documented_secret_after_a_change():
    run("seed_demo")
    totp = Authenticator.objects.get(user__email=DEMO_STAFF_EMAIL, type="totp")
    totp.data = {"secret": "not-a-token-of-this-key"}
    totp.save()

    run("seed_demo")

    new = Authenticator.objects.get(user__email=DEMO_STAFF_EMAIL, type="totp")
    assert new.wrap().validate_code(totp_code(DEMO_STAFF_TOTP_SECRET))


def test_totp_code_refuses_outside_the_embedded_run(settings):
    run("seed_demo")
    settings.DEBUG = False

    with pytest.raises(CommandError, match="embedded run only"):
        run("totp_code", DEMO_STAFF_EMAIL)
