"""Two-step login in Chromium: staff reach the admin through allauth's login and
its code step; a staff account without a second factor sets one up first;
fans turn it on from their profile and see where they are logged in."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import StaffFactory, UserFactory, totp_code

from .helpers import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_log_in_with_an_authenticator_code_and_reach_the_admin(site):
    staff = StaffFactory(email="staff@example.com")

    page = site.go("/admin/")
    # The admin sends to the site's login, then asks for the second step.
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-step login")).to_be_visible()
    shoot(page, "mfa-authenticate")
    page.get_by_label("Code").fill(totp_code(staff.totp_secret))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Marketplace moderation")).to_be_visible()


def test_staff_without_a_second_factor_set_one_up_then_reach_the_admin(site):
    staff = StaffFactory(email="new.staff@example.com", mfa=False)
    site.log_in(staff.email)

    page = site.go("/admin/")
    # Told why, and asked for the password again (any change to two-step login is).
    expect(page.get_by_text("Staff accounts need two-step login")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    shoot(page, "mfa-reauthenticate")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Confirm with my password").click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    shoot(page, "mfa-totp-activate")
    secret = page.get_by_label("Secret key").input_value()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-step login").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    shoot(page, "mfa-recovery-codes")
    page.get_by_role("link", name="Go to the staff admin").click()
    expect(page.get_by_role("heading", name="Marketplace moderation")).to_be_visible()


def test_a_fan_sees_the_security_section_and_where_they_are_logged_in(site, second_site):
    fan = UserFactory(email="fan@example.com")
    second_site.log_in(fan.email)
    site.log_in(fan.email)

    page = site.go("/profile/")
    section = page.get_by_role("region", name="Security")
    expect(section.get_by_text("Two-step login is off")).to_be_visible()
    expect(section.get_by_text("Logged in on 2 devices")).to_be_visible()
    shoot(page, "profile-security")

    section.get_by_role("link", name="See where you are logged in").click()
    expect(page.get_by_role("heading", name="Where you are logged in")).to_be_visible()
    shoot(page, "usersessions")
    page.get_by_role("button", name="Log out my other devices").click()
    expect(page.get_by_text(re.compile("logged out", re.I)).first).to_be_visible()

    other = second_site.go("/profile/")
    expect(other.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_two_step_login_page_with_its_options(site):
    fan = UserFactory(email="fan2@example.com")
    site.log_in(fan.email)

    page = site.go("/accounts/2fa/")
    expect(page.get_by_role("heading", name="Two-step login", level=1)).to_be_visible()
    shoot(page, "mfa-index")


def _virtual_authenticator(page):
    """Chromium's virtual authenticator (DevTools WebAuthn domain): a platform
    passkey that says yes, so the browser's passkey prompt completes alone."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp


def test_a_fan_adds_a_passkey_then_logs_in_with_it(site):
    fan = UserFactory(email="passkey.fan@example.com")
    page = site.log_in(fan.email)
    _virtual_authenticator(page)

    # given a passkey added from the two-step login page (after the password again)
    page = site.go("/accounts/2fa/")
    page.get_by_role("link", name="Add a passkey").click()
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Confirm with my password").click()
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    shoot(page, "mfa-webauthn-add")
    page.get_by_label("Name").fill("My laptop")
    page.get_by_role("button", name="Create the passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert fan.authenticator_set.filter(type="webauthn").count() == 1

    # when the fan logs in again
    page.get_by_role("button", name="Log out").click()
    page = site.log_in(fan.email)
    expect(page.get_by_role("heading", name="Two-step login")).to_be_visible()
    shoot(page, "mfa-authenticate-passkey")
    page.get_by_role("button", name="Use a passkey").click()

    # then the passkey opens the account
    expect(page.get_by_role("link", name="Profile")).to_be_visible()
    page = site.go("/accounts/2fa/")
    expect(page.get_by_text("1 added")).to_be_visible()
    shoot(page, "mfa-index-on")
    page.get_by_role("link", name="Manage passkeys").click()
    expect(page.get_by_role("cell", name="My laptop", exact=True)).to_be_visible()
    shoot(page, "mfa-webauthn-list")
