"""The account pages: sign up and confirm the address, log in and out, reset a
password, and the profile (allauth's views in the site's templates)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from marketplace.core.models import AuditLog
from messaging.models import Email

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-brand-new-passphrase-77"
PROFILE_URL = reverse("accounts:profile")
LOGIN_URL = reverse("account_login")

pytestmark = pytest.mark.django_db


def link_in(email: Email) -> str:
    """The path of the one site link in an outbox email's body."""
    match = re.search(r"https?://[^/\s]+(/\S+)", email.body)
    assert match, email.body
    return match.group(1)


def outbox_to(address: str) -> list[Email]:
    return list(Email.objects.filter(to=address).order_by("id"))


def log_in(client, email, password=PASSWORD):
    return client.post(LOGIN_URL, {"login": email, "password": password})


# --- Sign up and email verification --------------------------------------------


def test_signup_page_shows_the_form_in_the_site_look(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["account/signup.html", "base.html"]
    body = response.content.decode()
    for name in ("email", "password1", "password2"):
        assert f'<label for="id_{name}"' in body


def test_signup_then_login_is_refused_until_the_emailed_link_is_followed(client):
    # given: a new account from the sign-up form
    signup = client.post(
        reverse("account_signup"),
        {"email": "New.Fan@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert signup.status_code == 302
    assert signup["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.fan@example.com")
    assert user.email_verified is False
    assert "_auth_user_id" not in client.session
    registered = AuditLog.objects.get(action="user.registered", entity_id=str(user.pk))
    assert registered.changes["via"] == "site"

    # when: they try to log in before confirming
    refused = log_in(client, "new.fan@example.com", NEW_PASSWORD)

    # then: no session, the "check your inbox" page again
    assert refused.status_code == 302
    assert refused["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    sent = client.get(refused["Location"])
    assert "Check your inbox" in sent.content.decode()

    # when: they follow the link in the email and press the button
    email = outbox_to("new.fan@example.com")[0]
    assert email.subject.startswith("Encore: ")
    confirm_path = link_in(email)
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert "new.fan@example.com" in page.content.decode()
    user.refresh_from_db()
    assert user.email_verified is False  # a GET confirms nothing
    confirmed = client.post(confirm_path)

    # then: verified, badge earned, and logged in
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert user.email_verified is True
    assert EmailAddress.objects.get(user=user).verified is True
    assert client.session["_auth_user_id"] == str(user.pk)
    client.logout()
    assert log_in(client, "new.fan@example.com", NEW_PASSWORD)["Location"] == reverse("events:home")


def test_signup_with_mismatched_passwords_shows_the_error_and_creates_nothing(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "fan@example.com", "password1": NEW_PASSWORD, "password2": "something-else-9"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert 'id="id_password2_error"' in response.content.decode()
    assert not User.objects.filter(email="fan@example.com").exists()
    assert not Email.objects.exists()


def test_a_forged_confirmation_link_says_it_is_not_valid(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))

    assert response.status_code == 200
    assert "expired or is not valid" in response.content.decode()


# --- Log in and log out -------------------------------------------------------------


def test_login_page_renders_in_the_site_look(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_login"' in body
    assert '<label for="id_password"' in body
    assert reverse("account_reset_password") in body
    assert 'class="site-header"' in body


def test_verified_user_logs_in_and_lands_on_the_home_page(client):
    user = UserFactory()

    response = log_in(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("events:home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_welcome_message_escapes_the_account_name(client):
    user = UserFactory(name="<script>alert(1)</script> & Co")

    response = client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD}, follow=True)

    body = response.content.decode()
    assert "Welcome back, &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in body
    assert "<script>alert(1)" not in body


def test_wrong_password_is_refused_with_a_message_on_the_form(client):
    user = UserFactory()

    response = log_in(client, user.email, "not-the-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'class="alert alert-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_asks_on_get_and_logs_out_on_post(client):
    client.force_login(UserFactory())

    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert "_auth_user_id" in client.session
    assert '<button type="submit" class="button">Log out</button>' in page.content.decode()

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- Password reset and change --------------------------------------------------------


def test_password_reset_emails_a_link_that_sets_a_new_password(client):
    user = UserFactory()

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    (email,) = outbox_to(user.email)
    assert "reset the password" in email.body
    key_page = client.get(link_in(email), follow=True)
    assert key_page.status_code == 200
    assert key_page.templates[0].name == "account/password_reset_from_key.html"
    assert not key_page.context.get("token_fail")
    # allauth moves the key out of the URL (into the session) before the form.
    form_url = key_page.redirect_chain[-1][0]
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_answers_the_same_for_an_unknown_address(client):
    known = UserFactory()

    for_known = client.post(reverse("account_reset_password"), {"email": known.email})
    for_unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert (for_known.status_code, for_known["Location"]) == (
        for_unknown.status_code,
        for_unknown["Location"],
    )
    # The unknown address is told no account uses it; no reset link goes anywhere.
    (unknown_email,) = outbox_to("nobody@example.com")
    assert "/accounts/password/reset/key/" not in unknown_email.body


def test_password_reset_done_page_renders(client):
    response = client.get(reverse("account_reset_password_done"))

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()


def test_password_change_requires_the_current_password(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("account_change_password")

    page = client.get(url)
    refused = client.post(
        url, {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert page.status_code == 200
    assert refused.status_code == 200
    assert refused.context["form"].errors["oldpassword"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_email_management_page_lists_the_address_with_its_state(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("account_email"))

    assert response.status_code == 200
    body = response.content.decode()
    assert user.email in body
    assert "✓ Verified" in body


# --- Profile ------------------------------------------------------------------------------


def test_profile_requires_login(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={PROFILE_URL}"


def test_profile_shows_the_details_badges_and_account_links(client):
    user = UserFactory(name="Aoife Byrne", phone="+353 87 555 0101", phone_verified=False)
    client.force_login(user)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Aoife Byrne"' in body
    assert user.email in body
    assert "✓ Email verified" in body
    assert "Phone not verified" in body
    assert reverse("account_email") in body
    assert reverse("account_change_password") in body
    # Preferences not chosen yet show their defaults.
    form = response.context["form"]
    assert form["email_new_messages"].value() is True
    assert form["email_news"].value() is False


def test_profile_update_saves_details_and_preferences_keeping_other_keys(client):
    user = UserFactory(
        preferences={"currency": "EUR"}, phone="+353 1 111 1111", phone_verified=True
    )
    client.force_login(user)

    response = client.post(
        PROFILE_URL,
        {
            "name": "  Ciara Walsh ",
            "phone": "+353 87 000 1234",
            "avatar_url": "example.com/me.png",
            "email_sale_updates": "on",
            "email_news": "on",
        },
        follow=True,
    )

    assert response.redirect_chain == [(PROFILE_URL, 302)]
    assert "Your profile is saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.name, user.phone, user.avatar_url) == (
        "Ciara Walsh",
        "+353 87 000 1234",
        "https://example.com/me.png",
    )
    assert user.phone_verified is False  # a new number is not verified
    assert user.preferences == {
        "currency": "EUR",
        "email_new_messages": False,
        "email_sale_updates": True,
        "email_news": True,
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"phone": "call me maybe"}, "phone"),  # refused by the service
        ({"avatar_url": "not a url"}, "avatar_url"),  # refused by the form
        ({"name": "x" * 151}, "name"),
    ],
)
def test_profile_bad_input_shows_the_error_on_the_field_and_changes_nothing(
    client, db_snapshot, data, field
):
    user = UserFactory(name="Before", phone="+353 1 111 1111")
    client.force_login(user)
    before = db_snapshot()

    response = client.post(PROFILE_URL, {"name": "After", **data})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert db_snapshot() == before


def test_profile_shows_a_warning_to_a_suspended_account(client):
    client.force_login(UserFactory(status=User.Status.SUSPENDED))

    response = client.get(PROFILE_URL)

    assert "Your account is suspended" in response.content.decode()


def test_profile_page_query_count(client, django_assert_max_num_queries):
    # session, user, unread notifications (the bell), the security section's
    # authenticators and devices; the save adds its lock, its UPDATE and the
    # savepoint around them.
    client.force_login(UserFactory())

    with django_assert_max_num_queries(5):
        assert client.get(PROFILE_URL).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.post(PROFILE_URL, {"name": "Renamed"}).status_code == 302
