"""The privacy notice and the terms render, and the footer and sign-up link them."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "heading"), [("privacy-notice", "Privacy notice"), ("terms", "Terms of use")]
)
def test_the_legal_pages_render_with_the_operator_named(client, settings, name, heading):
    response = client.get(reverse(name))

    body = response.content.decode()
    assert response.status_code == 200
    assert heading in body
    assert settings.OPERATOR_NAME in body


def test_the_privacy_notice_points_to_the_profile_for_export_and_deletion(client):
    body = client.get(reverse("privacy-notice")).content.decode()

    assert reverse("accounts:profile") in body
    assert "Stripe" in body and "Sentry" in body


def test_the_footer_and_the_signup_page_link_them(client):
    for page in (reverse("accessibility"), reverse("account_signup")):
        body = client.get(page).content.decode()
        assert f'href="{reverse("privacy-notice")}"' in body, page
        assert f'href="{reverse("terms")}"' in body, page
