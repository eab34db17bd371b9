"""Failed logins lock out the address that fails, never the account's owner.

Behind the load balancer, every request comes from its address: the limits
count per client address as the trusted proxy reports it
(TRUSTED_PROXY_HEADER, TRUSTED_PROXY_HOPS). Per account, failures do not
lock the account: after RATELIMIT_AUTH's count of failures it cools down
(429 with Retry-After, doubling with each further failure), except for the
addresses the owner has logged in from before.
"""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from marketplace.testing import error_of, ok_data

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
PROXY = "10.0.0.2"  # the load balancer's address, as the app sees it
SITE_LOGIN = reverse("account_login")
API_LOGIN = "/api/v1/auth/login"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_HOPS = 1


def visitor(address: str) -> Client:
    """A browser at `address`, reaching the app through the load balancer."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def partner(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def site_login(client, email, password=PASSWORD):
    return client.post(SITE_LOGIN, {"login": email, "password": password})


def api_login(client, email, password=PASSWORD):
    return client.post(API_LOGIN, {"email": email, "password": password})


def is_logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("events:home")


# --- The site --------------------------------------------------------------------------


def test_behind_a_proxy_the_failures_of_others_do_not_lock_out_a_visitor(behind_proxy):
    user = UserFactory()
    # given six visitors who each mistype a password (more than the limit of 5)
    for n in range(6):
        assert (
            site_login(visitor(f"198.51.100.{n + 1}"), f"guess{n}@example.com", "x").status_code
            == 200
        )

    # when another visitor logs in
    response = site_login(visitor("203.0.113.5"), user.email)

    # then they are let in: the limit counts per visitor, not per proxy
    assert is_logged_in(response)


def test_behind_a_proxy_the_address_that_keeps_failing_is_refused(behind_proxy):
    user = UserFactory()
    attacker = visitor("198.51.100.66")
    for n in range(5):
        site_login(attacker, f"guess{n}@example.com", "x")

    response = site_login(attacker, user.email)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert is_logged_in(site_login(visitor("203.0.113.5"), user.email))


def test_failures_on_an_account_from_many_addresses_do_not_lock_out_its_owner(behind_proxy):
    # given an owner who logged in from home before
    owner = UserFactory()
    assert is_logged_in(site_login(visitor("203.0.113.5"), owner.email))
    # and a botnet that fails on the account from many addresses
    for n in range(8):
        site_login(visitor(f"198.51.100.{n + 1}"), owner.email, "guess")

    # then from home the owner's password still works
    assert is_logged_in(site_login(visitor("203.0.113.5"), owner.email))


def test_after_failures_on_an_account_a_new_address_waits_a_short_cooldown(behind_proxy):
    owner = UserFactory()
    for n in range(5):
        site_login(visitor(f"198.51.100.{n + 1}"), owner.email, "guess")

    response = site_login(visitor("192.0.2.1"), owner.email)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "_auth_user_id" not in response.client.session


# --- The API ---------------------------------------------------------------------------


def test_behind_a_proxy_api_logins_are_limited_per_client_not_per_proxy(behind_proxy):
    UserFactory(email="fan@example.com")
    for n in range(6):
        error_of(
            api_login(partner(f"198.51.100.{n + 1}"), f"guess{n}@example.com", "x"),
            401,
            "INVALID_CREDENTIALS",
        )

    ok_data(api_login(partner("203.0.113.5"), "fan@example.com"))


def test_failed_api_logins_by_others_do_not_lock_the_owner_out(settings, behind_proxy):
    settings.RATELIMIT_AUTH = "3/15m"
    UserFactory(email="fan@example.com")
    ok_data(api_login(partner("203.0.113.5"), "fan@example.com"))  # the owner, from home
    for n in range(5):
        api_login(partner(f"198.51.100.{n + 1}"), "fan@example.com", "guess")

    # The owner, from the address they use, is not locked out.
    ok_data(api_login(partner("203.0.113.5"), "fan@example.com"))
    # From an address never used by the account, the account cools down.
    response = api_login(partner("192.0.2.1"), "fan@example.com")
    error = error_of(response, 429, "RATE_LIMIT_EXCEEDED")
    assert error["details"]["reason"] == "ACCOUNT_COOLDOWN"
    assert 0 < int(response["Retry-After"]) <= 15 * 60
