"""Staff behind two factors: the admin's login is allauth's, with its second
step (an authenticator app's code, a passkey or a recovery code), and a staff
account without a second factor is sent to set one up before any admin page."""

import pytest
from django.test import Client

from accounts.tests.factories import StaffFactory, UserFactory, recovery_codes, totp_code
from marketplace.testing import is_in_the_admin
from messaging.models import Email

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories'
LOGIN = "/accounts/login/"
MFA_STEP = "/accounts/2fa/authenticate/"
TOTP_SETUP = "/accounts/2fa/totp/activate/"
REAUTHENTICATE = "/accounts/reauthenticate/"


def log_in(client, email, password=PASSWORD, next_url="/admin/"):
    """allauth's login form, as the admin's login page sends staff to it."""
    return client.post(f"{LOGIN}?next={next_url}", {"login": email, "password": password})


def second_step(client, code):
    return client.post(MFA_STEP, {"code": code})


def confirm_password(client, next_url, password=PASSWORD):
    """allauth asks for the password again before any change to two-step login."""
    response = client.post(f"{REAUTHENTICATE}?next={next_url}", {"password": password})
    assert (response.status_code, response["Location"]) == (302, next_url)


# --- A staff account without a second factor ---------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/payments/dispute/", "/admin/accounts/user/"])
def test_staff_without_a_second_factor_cannot_reach_the_admin(client, path):
    staff = StaffFactory(mfa=False)
    client.force_login(staff)

    assert client.get(path).status_code == 302
    response = client.get(path, follow=True)

    # Sent to set up an authenticator app (after confirming the password), told
    # why; no admin page served.
    visited = [url for url, _status in response.redirect_chain]
    assert any(url.startswith(TOTP_SETUP) for url in visited), visited
    assert response.status_code == 200
    text = response.content.decode()
    assert "Staff accounts need two-step login" in text
    assert "Marketplace moderation" not in text


def test_staff_without_a_second_factor_log_in_and_are_sent_to_set_one_up():
    client = Client()
    staff = StaffFactory(mfa=False)

    # The password alone logs in to the site (no second step to pass yet)...
    response = log_in(client, staff.email)
    assert (response.status_code, response["Location"]) == (302, "/admin/")

    # ...but the admin sends the account to set up its authenticator app.
    assert not is_in_the_admin(client)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-2][0] == TOTP_SETUP
    assert (
        response.redirect_chain[-1][0]
        == f"{REAUTHENTICATE}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    assert "Staff accounts need two-step login" in response.content.decode()


def test_staff_who_set_up_an_authenticator_app_reach_the_admin(django_capture_on_commit_callbacks):
    client = Client()
    staff = StaffFactory(mfa=False)
    log_in(client, staff.email)
    confirm_password(client, TOTP_SETUP)
    page = client.get(TOTP_SETUP)
    secret = page.context["form"].secret

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(TOTP_SETUP, {"code": totp_code(secret)})

    # The recovery codes are shown next (to be written down), then the admin opens.
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/recovery-codes/")
    codes_page = client.get(response["Location"]).content.decode()
    assert recovery_codes(staff)[0] in codes_page
    assert 'href="/admin/"' in codes_page
    assert is_in_the_admin(client)
    # A notice through Encore's outbox, as for every security change.
    notice = Email.objects.filter(to=staff.email).latest("id")
    assert "authenticator app" in notice.subject.lower()


# --- Logging in with a second factor -----------------------------------------------


def test_staff_log_in_with_a_totp_code_and_reach_the_admin():
    client = Client()
    staff = StaffFactory()

    # given the right password: the second step is asked, nobody is logged in yet
    response = log_in(client, staff.email)
    assert (response.status_code, response["Location"]) == (302, MFA_STEP)
    assert not is_in_the_admin(client)
    assert "authenticator app" in client.get(MFA_STEP).content.decode()

    # when the code of the authenticator app is typed
    response = second_step(client, totp_code(staff.totp_secret))

    # then the admin opens where it was asked for
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert is_in_the_admin(client)


def test_a_wrong_code_keeps_staff_out():
    client = Client()
    staff = StaffFactory()
    log_in(client, staff.email)
    wrong = f"{(int(totp_code(staff.totp_secret)) + 1) % 1_000_000:06d}"

    response = second_step(client, wrong)

    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not is_in_the_admin(client)


def test_a_totp_code_works_once():
    staff = StaffFactory()
    code = totp_code(staff.totp_secret)
    first, second = Client(), Client()
    log_in(first, staff.email)
    assert second_step(first, code).status_code == 302

    # Someone who watched the code being typed cannot use it again.
    log_in(second, staff.email)
    response = second_step(second, code)

    assert response.status_code == 200
    assert not is_in_the_admin(second)


def test_guessing_the_code_is_stopped_after_a_few_tries():
    client = Client()
    staff = StaffFactory()
    log_in(client, staff.email)
    right = totp_code(staff.totp_secret)
    wrong = f"{(int(right) + 7) % 1_000_000:06d}"
    for _ in range(5):  # ACCOUNT_RATE_LIMITS "login_failed": 5 per 15 minutes
        second_step(client, wrong)

    response = second_step(client, right)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not is_in_the_admin(client)


def test_recovery_codes_work_once_each():
    staff = StaffFactory()
    first_code, second_code, *_ = recovery_codes(staff)
    # given a staff member without their phone, who logs in with a recovery code
    client = Client()
    log_in(client, staff.email)
    response = second_step(client, first_code)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert is_in_the_admin(client)

    # when the same code is tried again, on another login
    other = Client()
    log_in(other, staff.email)
    response = second_step(other, first_code)

    # then it is refused; the next unused code works
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not is_in_the_admin(other)
    assert second_step(other, second_code).status_code == 302
    assert is_in_the_admin(other)
    assert first_code not in recovery_codes(staff)


def test_staff_cannot_switch_off_their_last_second_factor(client):
    staff = StaffFactory()
    log_in(client, staff.email)
    second_step(client, totp_code(staff.totp_secret))
    confirm_password(client, "/accounts/2fa/totp/deactivate/")

    response = client.post("/accounts/2fa/totp/deactivate/")

    assert "Staff accounts keep two-step login" in response.content.decode()
    assert staff.authenticator_set.filter(type="totp").exists()
    assert is_in_the_admin(client)


# --- The admin's own login page ----------------------------------------------------


def test_the_admin_login_page_leads_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/payments/dispute/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/payments/dispute/"
    # An admin page asked for without a session ends at the site's login too.
    response = client.get("/admin/payments/dispute/", follow=True)
    assert response.redirect_chain[-1][0] == f"{LOGIN}?next=/admin/payments/dispute/"


def test_the_admin_login_page_checks_no_password():
    client = Client()
    staff = StaffFactory()

    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    # Posting the old admin form logs nobody in: only allauth's login does.
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not is_in_the_admin(client)


def test_a_logged_in_account_without_staff_access_is_refused_by_the_admin():
    client = Client()
    fan = UserFactory(role="admin")  # the marketplace's "admin" role is not staff access
    log_in(client, fan.email, next_url="/")

    assert client.get("/admin/login/").status_code == 403
    assert client.get("/admin/", follow=True).status_code == 403


# --- The first staff account (docs/operations.md) --------------------------------------


def test_the_first_staff_account_from_createsuperuser_sets_up_two_step_login(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-operator-passphrase-42")
    call_command("createsuperuser", "--noinput", email="ops@example.com", verbosity=0)
    client = Client()

    # given its first login, which confirms the address by the emailed link
    with django_capture_on_commit_callbacks(execute=True):
        response = log_in(client, "ops@example.com", "a-long-operator-passphrase-42")
    assert response["Location"] == "/accounts/confirm-email/"
    body = Email.objects.filter(to="ops@example.com").latest("id").body
    link = body[body.index("/accounts/confirm-email/") :].split()[0]
    assert client.post(link).status_code == 302

    # when the admin sends it to set up the authenticator app
    client.get("/admin/")
    confirm_password(client, TOTP_SETUP, "a-long-operator-passphrase-42")
    secret = client.get(TOTP_SETUP).context["form"].secret
    client.post(TOTP_SETUP, {"code": totp_code(secret)})

    # then the admin opens
    assert is_in_the_admin(client)


def test_the_admins_log_out_is_the_sites():
    client = Client()
    staff = StaffFactory()
    log_in(client, staff.email)
    second_step(client, totp_code(staff.totp_secret))

    response = client.post("/admin/logout/")

    assert response.status_code == 302
    assert not is_in_the_admin(client)
    assert client.get("/profile/")["Location"].startswith(LOGIN)
