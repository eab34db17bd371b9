"""The profile's security section: two-step login (an authenticator app, its
recovery codes, passkeys) turned on by the user, and the list of devices
logged in to the account, with "log out my other devices"."""

import re

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory, recovery_codes, totp_code
from messaging.models import Email

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories'
PROFILE = "/profile/"
SESSIONS = "/accounts/sessions/"
REAUTHENTICATE = "/accounts/reauthenticate/"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1"


def logged_in_client(user, **headers) -> Client:
    client = Client(**headers)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def link(text: str, label: str) -> str:
    """The href of the link or button whose text starts with `label`."""
    match = re.search(rf'href="([^"]+)"[^>]*>\s*{re.escape(label)}', text)
    assert match, f"no link {label!r}"
    return match.group(1)


def test_a_user_turns_on_two_step_login_from_the_profile(django_capture_on_commit_callbacks):
    user = UserFactory()
    client = logged_in_client(user)

    # given the profile's security section, which says it is off
    profile = client.get(PROFILE).content.decode()
    assert "Two-step login is off" in profile
    setup = link(profile, "Turn on two-step login")

    # when the user confirms their password, scans the code (here: reads the
    # secret) and types a code
    assert (
        client.get(setup)["Location"]
        == f"{REAUTHENTICATE}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    client.post(f"{REAUTHENTICATE}?next={setup}", {"password": PASSWORD})
    page = client.get(setup)
    assert page.status_code == 200
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(setup, {"code": totp_code(secret.group(1))})

    # then the recovery codes are shown once the app is on, and the profile says so
    assert response.status_code == 302
    codes = client.get(response["Location"]).content.decode()
    assert all(code in codes for code in recovery_codes(user))
    profile = client.get(PROFILE).content.decode()
    assert "Two-step login is on" in profile
    assert user.authenticator_set.filter(type="totp").exists()
    # allauth's notice went through Encore's outbox (accounts/adapter.py).
    notice = Email.objects.filter(to=user.email).latest("id")
    assert notice.subject.startswith("Encore: ")
    assert "authenticator app" in notice.subject.lower()


def test_the_next_login_asks_for_the_code():
    user = UserFactory()
    client = logged_in_client(user)
    client.post(f"{REAUTHENTICATE}?next=/profile/", {"password": PASSWORD})
    setup = client.get("/accounts/2fa/totp/activate/")
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(setup.context["form"].secret)})
    client.post("/accounts/logout/")

    response = Client().post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")


def test_the_session_list_shows_each_device_and_logs_the_others_out():
    user = UserFactory()
    laptop = logged_in_client(user, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.4")
    phone = logged_in_client(user, HTTP_USER_AGENT=PHONE, REMOTE_ADDR="203.0.113.9")

    # given two devices logged in, both listed, this one marked
    profile = laptop.get(PROFILE).content.decode()
    assert "Logged in on 2 devices" in profile
    page = laptop.get(link(profile, "See where you are logged in"))
    text = page.content.decode()
    assert "Firefox" in text and "iPhone" in text
    assert "198.51.100.4" in text and "203.0.113.9" in text
    assert "This device" in text

    # when "log out my other devices" is pressed on the laptop
    response = laptop.post(SESSIONS, follow=True)

    # then the phone is logged out, the laptop is not
    assert response.status_code == 200
    assert "logged out" in response.content.decode().lower()
    assert phone.get(PROFILE)["Location"].startswith("/accounts/login/")
    assert laptop.get(PROFILE).status_code == 200
    assert "Logged in on 1 device" in laptop.get(PROFILE).content.decode()


def test_the_session_list_is_for_logged_in_users_only(client):
    response = client.get(SESSIONS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_confirms_it_is_them_with_an_emailed_code(django_capture_on_commit_callbacks):
    user = UserFactory()
    client = logged_in_client(user)
    setup = "/accounts/2fa/totp/activate/"
    assert client.get(setup).status_code == 302  # "Confirm it's you" first

    # given the emailed code asked for instead of the password
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/accounts/reauthenticate/code/?next={setup}", {"recipient": user.email}
        )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Type the code we emailed" in page and user.email in page
    body = Email.objects.filter(to=user.email).latest("id").body
    code = re.search(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]+)?)\s*$", body, re.M).group(1)

    # when it is typed
    response = client.post(response["Location"], {"code": code})

    # then the set-up page opens
    assert (response.status_code, response["Location"]) == (302, setup)
    assert client.get(setup).status_code == 200


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (FIREFOX, "Firefox on Linux"),
        (PHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on Windows",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
    ],
)
def test_a_device_is_named_as_people_say_it(user_agent, shown):
    from accounts.templatetags.account_security import device_name

    assert device_name(user_agent) == shown


def assert_in_the_sites_look(response, path):
    assert response.status_code == 200, path
    assert response.templates[0].name.startswith(("mfa/", "account/", "usersessions/")), path
    assert "base.html" in [t.name for t in response.templates], path
    text = response.content.decode()
    assert text.count("<h1") == 1, path
    for field in re.findall(r'<input[^>]*type="(?:text|password)"[^>]*id="([^"]+)"', text):
        assert f'for="{field}"' in text, (path, field)


def test_every_two_step_login_page_answers_in_the_sites_look():
    from allauth.mfa.models import Authenticator

    user = UserFactory(mfa=True)
    client = logged_in_client(user)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(user.totp_secret)})
    client.post("/accounts/reauthenticate/?next=/profile/", {"password": PASSWORD})
    for path in [
        "/accounts/2fa/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/2fa/webauthn/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/2fa/reauthenticate/",
        "/accounts/reauthenticate/",
        "/accounts/reauthenticate/code/",
        SESSIONS,
    ]:
        assert_in_the_sites_look(client.get(path), path)

    # A passkey as allauth stores it (these pages read only its name).
    passkey = Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "My laptop", "credential": {}}
    )
    for path in [
        "/accounts/2fa/webauthn/",
        f"/accounts/2fa/webauthn/keys/{passkey.pk}/edit/",
        f"/accounts/2fa/webauthn/keys/{passkey.pk}/remove/",
    ]:
        assert_in_the_sites_look(client.get(path), path)
