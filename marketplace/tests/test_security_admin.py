"""The staff admin: staff with a second factor only, logged in by the site's own
login (allauth's, so its rate limits guard staff passwords and codes), at the
address ADMIN_URL says. Two-step login itself: test_admin_mfa.py."""

import pytest
from django.contrib import admin
from django.test import Client

from accounts.tests.factories import StaffFactory, UserFactory, totp_code
from marketplace.admin_site import EncoreAdminSite
from marketplace.testing import is_in_the_admin

from .test_settings import manage

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories'
LOGIN = "/accounts/login/"
MFA_STEP = "/accounts/2fa/authenticate/"


def site_login(client, email, password=PASSWORD):
    return client.post(f"{LOGIN}?next=/admin/", {"login": email, "password": password})


def test_the_admin_is_encores_own_site_with_every_model_on_it():
    assert isinstance(admin.site, EncoreAdminSite)
    assert admin.site.site_header == "Encore staff"
    assert admin.site._registry  # the apps' ModelAdmins registered on it


def test_staff_log_in_to_the_admin():
    client = Client()
    staff = StaffFactory()

    assert site_login(client, staff.email)["Location"] == MFA_STEP
    response = client.post(MFA_STEP, {"code": totp_code(staff.totp_secret)})

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert is_in_the_admin(client)


@pytest.mark.parametrize("role", ["user", "organizer", "admin"])
def test_an_account_without_staff_access_cannot_use_the_admin(role):
    # Even the "admin" role of the marketplace: the admin needs is_staff.
    client = Client()
    user = UserFactory(role=role)

    assert site_login(client, user.email).status_code == 302  # a site login, nothing more

    assert client.get("/admin/").status_code == 302  # sent to the admin's login...
    assert client.get("/admin/login/").status_code == 403  # ...which refuses the account
    assert not is_in_the_admin(client)


def test_a_deactivated_staff_account_cannot_log_in_to_the_admin():
    client = Client()
    staff = StaffFactory(is_active=False)

    response = site_login(client, staff.email)

    assert response.get("Location") != MFA_STEP
    assert not is_in_the_admin(client)


def test_after_the_limit_from_one_address_even_the_right_password_is_refused(settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/15m/ip"}
    staff = StaffFactory()
    client = Client(REMOTE_ADDR="203.0.113.7")
    # given three failed guesses, each at a different account, from one address
    for n in range(3):
        assert site_login(client, f"guess{n}@example.com", "guess").status_code == 200

    # when the right password comes from that address
    response = site_login(client, staff.email)

    # then it is refused before the second step, and nobody is logged in
    assert response.status_code in (200, 429)
    assert "too many" in response.content.decode().lower()
    assert not is_in_the_admin(client)
    # Another address is not held back.
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert site_login(other, staff.email)["Location"] == MFA_STEP


@pytest.mark.parametrize(
    "data",
    [
        "username=%ED%A0%80%00@example.com&password=x",  # not UTF-8, a NUL
        {"username": "a" * 10_000, "password": "x"},
        {"password": "x"},
        {},
    ],
)
def test_odd_input_to_the_admin_login_is_answered_cleanly(data):
    client = Client()

    if isinstance(data, str):  # a raw form body
        response = client.post(
            "/admin/login/", data, content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post("/admin/login/", data)

    # The admin's login page reads no credentials: it sends to the site's login.
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_the_admin_login_sends_back_only_within_the_site(next_url):
    client = Client()
    staff = StaffFactory()
    site_login(client, staff.email)
    client.post(MFA_STEP, {"code": totp_code(staff.totp_secret)})

    response = client.get("/admin/login/", {"next": next_url})

    assert (response.status_code, response["Location"]) == (302, "/admin/")


@pytest.mark.system  # manage.py in a fresh interpreter
def test_the_admin_moves_to_admin_url():
    env = {"DJANGO_SETTINGS_MODULE": "marketplace.settings.base", "ADMIN_URL": "staff-7f3a/"}
    code = "from django.urls import reverse; print(reverse('admin:index'), reverse('admin:login'))"

    result = manage("shell", "--no-imports", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/staff-7f3a/", "/staff-7f3a/login/"]


@pytest.mark.system  # manage.py in a fresh interpreter
@pytest.mark.parametrize("bad", ["", "/", "/admin/", "admin", "api/"])
def test_a_malformed_admin_url_stops_the_start(bad):
    env = {"DJANGO_SETTINGS_MODULE": "marketplace.settings.base", "ADMIN_URL": bad}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ADMIN_URL must be a path" in result.stderr
