"""The staff admin: staff only, its login rate limited per client address and
per username (RATELIMIT_ADMIN), at the address ADMIN_URL says."""

import pytest
from django.contrib import admin
from django.test import Client

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.admin_site import EncoreAdminSite

from .test_settings import manage

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories'
LOGIN = "/admin/login/"


def admin_login(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def is_in_the_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def assert_refused_for_now(response):
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    text = response.content.decode()
    assert "Too many login attempts" in text
    assert "try again in" in text
    assert "no-cache" in response["Cache-Control"]


def test_the_admin_is_encores_own_site_with_every_model_on_it():
    assert isinstance(admin.site, EncoreAdminSite)
    assert admin.site.site_header == "Encore staff"
    assert admin.site._registry  # the apps' ModelAdmins registered on it


def test_staff_log_in_to_the_admin():
    client = Client()
    staff = StaffFactory()

    response = admin_login(client, staff.email)

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert is_in_the_admin(client)


@pytest.mark.parametrize("role", ["user", "organizer", "admin"])
def test_an_account_without_staff_access_cannot_log_in_to_the_admin(role):
    # Even the "admin" role of the marketplace: the admin needs is_staff.
    client = Client()
    user = UserFactory(role=role)

    response = admin_login(client, user.email)

    assert response.status_code == 200
    assert "correct email address and password for a staff account" in response.content.decode()
    assert not is_in_the_admin(client)
    assert client.get("/admin/").status_code == 302  # sent to the login page


def test_a_deactivated_staff_account_cannot_log_in_to_the_admin():
    client = Client()
    staff = StaffFactory(is_active=False)

    assert admin_login(client, staff.email).status_code == 200
    assert not is_in_the_admin(client)


def test_after_the_limit_from_one_address_even_the_right_password_is_refused(settings):
    settings.RATELIMIT_ADMIN = "3/15m"
    staff = StaffFactory()
    client = Client(REMOTE_ADDR="203.0.113.7")
    # given three failed guesses, each at a different account, from one address
    for n in range(3):
        assert admin_login(client, f"guess{n}@example.com", "guess").status_code == 200

    # when the right password comes from that address
    response = admin_login(client, staff.email)

    # then no password is checked: the answer is 429 and nobody is logged in
    assert_refused_for_now(response)
    assert not is_in_the_admin(client)
    # The login page itself still shows (only attempts count).
    assert client.get(LOGIN).status_code == 200


def test_after_the_limit_on_one_username_every_address_is_refused(settings):
    settings.RATELIMIT_ADMIN = "3/15m"
    staff = StaffFactory(email="staff@example.com")
    other_staff = StaffFactory(email="other@example.com")
    # given three guesses at one account from three addresses (a botnet),
    # the username typed in different cases
    for n, typed in enumerate(["staff@example.com", "STAFF@example.com", " Staff@Example.com"]):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert admin_login(client, typed, "guess").status_code == 200

    # when the right password comes from a fourth address
    fresh = Client(REMOTE_ADDR="198.51.100.99")
    response = admin_login(fresh, staff.email)

    # then it is refused; another account from that address still logs in
    assert_refused_for_now(response)
    assert not is_in_the_admin(fresh)
    assert admin_login(fresh, other_staff.email).status_code == 302
    assert is_in_the_admin(fresh)


def test_the_limit_under_it_lets_staff_in(settings):
    settings.RATELIMIT_ADMIN = "3/15m"
    staff = StaffFactory()
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(2):
        admin_login(client, staff.email, "typo")

    assert admin_login(client, staff.email).status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        "username=%ED%A0%80%00@example.com&password=x",  # not UTF-8, a NUL
        {"username": "a" * 10_000, "password": "x"},
        {"password": "x"},
        {},
    ],
)
def test_odd_admin_login_input_is_answered_cleanly(settings, data):
    settings.RATELIMIT_ADMIN = "1/15m"
    client = Client()

    def post():
        if isinstance(data, str):  # a raw form body
            return client.post(LOGIN, data, content_type="application/x-www-form-urlencoded")
        return client.post(LOGIN, data)

    first, second = post(), post()

    assert first.status_code == 200
    assert second.status_code == 429


def test_the_admin_limit_is_its_own_not_the_sites_or_the_apis(settings, api):
    settings.RATELIMIT_ADMIN = "2/15m"
    settings.RATELIMIT_AUTH = "2/15m"
    user = UserFactory()
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        admin_login(client, user.email, "guess")

    assert_refused_for_now(admin_login(client, user.email, "guess"))
    # The API's login from the same address is counted apart.
    response = Client(REMOTE_ADDR="203.0.113.9").post(
        "/api/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_the_admin_moves_to_admin_url():
    env = {"DJANGO_SETTINGS_MODULE": "marketplace.settings.base", "ADMIN_URL": "staff-7f3a/"}
    code = "from django.urls import reverse; print(reverse('admin:index'), reverse('admin:login'))"

    result = manage("shell", "--no-imports", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/staff-7f3a/", "/staff-7f3a/login/"]


@pytest.mark.parametrize("bad", ["", "/", "/admin/", "admin", "api/"])
def test_a_malformed_admin_url_stops_the_start(bad):
    env = {"DJANGO_SETTINGS_MODULE": "marketplace.settings.base", "ADMIN_URL": bad}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ADMIN_URL must be a path" in result.stderr
