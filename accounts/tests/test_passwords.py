"""Passwords: at least 12 characters, not a common one, not like the account's
own email or name, not only digits and not only whitespace; on the site's
sign-up, password change and reset, and the API's sign-up alike."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from marketplace.testing import error_of, ok_data

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's

WEAK = [
    pytest.param("tqzvkmwp", id="8 characters"),
    pytest.param("tqzvkmwpxrb", id="11 characters"),
    pytest.param(" " * 12, id="12 spaces"),
    pytest.param("\t \u00a0 \u2003" * 3, id="12 characters of whitespace"),
    pytest.param("123456789012", id="12 digits"),
    pytest.param("qwertyqwerty", id="common"),
    pytest.param("fiona.fanning99", id="like the address"),
]
STRONG = "tqzv-kmwp-xrb4"  # 14 characters


@pytest.mark.parametrize("password", WEAK)
def test_api_sign_up_refuses_a_weak_password(api, db_snapshot, password):
    before = db_snapshot()

    response = api.post(
        "/api/v1/auth/register",
        {"email": "fiona.fanning99@example.com", "password": password, "name": "Fiona Fanning"},
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert (error["details"]["field"], error["details"]["reason"]) == ("password", "WEAK_PASSWORD")
    assert db_snapshot() == before


def test_api_sign_up_takes_a_password_of_12_characters_or_more(api):
    ok_data(
        api.post("/api/v1/auth/register", {"email": "fan@example.com", "password": STRONG}), 202
    )

    assert User.objects.get(email="fan@example.com").check_password(STRONG)


@pytest.mark.parametrize("password", WEAK)
def test_site_sign_up_refuses_a_weak_password(client, password):
    response = client.post(
        reverse("account_signup"),
        {"email": "fiona.fanning99@example.com", "password1": password, "password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="fiona.fanning99@example.com").exists()


@pytest.mark.parametrize("password", WEAK)
def test_site_password_change_refuses_a_weak_password(client, password):
    user = UserFactory(email="fiona.fanning99@example.com", name="Fiona Fanning")
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": password, "password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_site_password_change_takes_a_strong_password(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": STRONG, "password2": STRONG},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)
