"""One verified identity on every path: an address nobody confirmed cannot sign
in to the API or trade, and a change of credentials (password change or
reset, email change, staff suspension, logout everywhere) ends every session
of the account at once, its API tokens and its site sessions alike."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from accounts.selectors import user_can_trade
from accounts.services import email_verification_token, user_set_status
from accounts.tests.factories import StaffFactory, UserFactory
from accounts.tests.test_api_auth import bearer
from marketplace.core.errors import PermissionDenied
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from messaging.models import Email

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
PROFILE = "/api/v1/users/profile"
VERIFY = "/api/v1/users/verify"

PASSWORD = "correct-horse-battery"  # UserFactory's
NEW_PASSWORD = "a-brand-new-passphrase-77"
ATTACKER_PASSWORD = "squatters-own-passphrase-1"
SITE_PROFILE = reverse("accounts:profile")


def api_login(api, email, password=PASSWORD) -> dict:
    return ok_data(api.post(LOGIN, {"email": email, "password": password}))


def refreshed(api, refresh):
    return api.post(REFRESH, {"refresh": refresh})


def link_in(email: Email) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", email.body)
    assert match, email.body
    return match.group(1)


def assert_api_session_ended(api, pair: dict) -> None:
    """Neither the refresh token nor the access token of `pair` works any more."""
    error_of(refreshed(api, pair["refresh"]), 401, "UNAUTHORIZED")
    error_of(bearer(pair["access"]).get(PROFILE), 401, "UNAUTHORIZED")


# --- An address nobody confirmed -----------------------------------------------------


def test_an_address_registered_by_someone_else_cannot_sign_in_to_the_api(api, db_snapshot):
    # given an attacker who registers the victim's address first
    ok_data(api.post(REGISTER, {"email": "victim@example.com", "password": ATTACKER_PASSWORD}), 202)
    before = db_snapshot()

    # when they log in with the password they chose
    response = api.post(LOGIN, {"email": "victim@example.com", "password": ATTACKER_PASSWORD})

    # then no token: the address must be confirmed first, by its owner's inbox
    error = error_of(response, 403, "EMAIL_NOT_VERIFIED")
    assert "access" not in response.content.decode()
    assert error["details"]["verification"] == "sent"
    assert not OutstandingToken.objects.exists()
    assert User.objects.get(email="victim@example.com").last_login_at is None
    # The new code went to the address's inbox, nowhere else.
    codes = Email.objects.filter(to="victim@example.com")
    assert codes.count() == 2  # the sign-up's code, and this one
    assert db_snapshot()["audit_logs"] == before["audit_logs"]


def test_the_login_sends_a_new_code_at_most_once_in_a_few_minutes(api):
    UserFactory(email="late@example.com", email_verified=False)

    first = error_of(
        api.post(LOGIN, {"email": "late@example.com", "password": PASSWORD}),
        403,
        "EMAIL_NOT_VERIFIED",
    )
    second = error_of(
        api.post(LOGIN, {"email": "late@example.com", "password": PASSWORD}),
        403,
        "EMAIL_NOT_VERIFIED",
    )

    assert first["details"]["verification"] == "sent"
    assert second["details"]["verification"] == "recently_sent"
    assert 0 < second["details"]["resendAfter"] <= 180
    assert Email.objects.filter(to="late@example.com").count() == 1


def test_a_confirmed_address_signs_in_after_the_emailed_code(api):
    user = UserFactory(email="late@example.com", email_verified=False)
    error_of(
        api.post(LOGIN, {"email": "late@example.com", "password": PASSWORD}),
        403,
        "EMAIL_NOT_VERIFIED",
    )

    ok_data(api.post(VERIFY, {"token": email_verification_token(user=user)}))

    assert api_login(api, "late@example.com")["user"]["email_verified"] is True


def test_a_wrong_password_for_an_unconfirmed_address_says_only_invalid_credentials(api):
    UserFactory(email="late@example.com", email_verified=False)

    error_of(
        api.post(LOGIN, {"email": "late@example.com", "password": "not-it"}),
        401,
        "INVALID_CREDENTIALS",
    )
    assert not Email.objects.exists()


def test_an_unconfirmed_account_cannot_trade():
    assert not user_can_trade(user=UserFactory(email_verified=False))
    assert user_can_trade(user=UserFactory())


def test_an_api_token_of_an_unconfirmed_account_is_refused(api_as):
    # A token issued before its address was unconfirmed, or before this rule.
    response = api_as(UserFactory(email_verified=False)).get(PROFILE)

    error_of(response, 403, "EMAIL_NOT_VERIFIED")


def test_an_unconfirmed_account_cannot_buy_on_the_site_or_the_api():
    from listings.tests.factories import ListingFactory
    from payments.services import transaction_purchase

    listing = ListingFactory()
    buyer = UserFactory(email_verified=False)

    with pytest.raises(PermissionDenied):
        transaction_purchase(buyer=buyer, listing_id=listing.pk)


# --- Password change and reset --------------------------------------------------------


def reset_password_on_the_site(email: str, password: str) -> None:
    client = Client()
    assert client.post(reverse("account_reset_password"), {"email": email}).status_code == 302
    message = Email.objects.filter(to=email).order_by("-id").first()
    key_page = client.get(link_in(message), follow=True)
    form_url = key_page.redirect_chain[-1][0]
    done = client.post(form_url, {"password1": password, "password2": password})
    assert done.status_code == 302, done.content


def test_a_password_reset_on_the_site_ends_every_api_session(api):
    # given the attacker's API session on an account whose owner then resets its password
    UserFactory(email="fan@example.com")
    laptop, phone = api_login(api, "fan@example.com"), api_login(api, "fan@example.com")

    reset_password_on_the_site("fan@example.com", NEW_PASSWORD)

    # then neither refresh token rotates again, and the access tokens stop at once
    assert_api_session_ended(api, laptop)
    assert_api_session_ended(api, phone)
    assert api_login(api, "fan@example.com", NEW_PASSWORD)["user"]["email"] == "fan@example.com"
    audit = AuditLog.objects.get(action="user.sessions_revoked")
    assert audit.changes["reason"] == "password_reset"


def test_a_password_change_on_the_site_ends_the_api_sessions_and_the_other_site_sessions(api):
    user = UserFactory(email="fan@example.com")
    pair = api_login(api, "fan@example.com")
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)

    changed = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert_api_session_ended(api, pair)
    assert here.get(SITE_PROFILE).status_code == 200  # the session that changed it stays
    assert elsewhere.get(SITE_PROFILE).status_code == 302  # sent to the login page


# --- Email change ------------------------------------------------------------------------


def test_an_email_change_on_the_site_ends_every_other_session(api):
    user = UserFactory(email="old@example.com")
    pair = api_login(api, "old@example.com")
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    # given a second address, added and confirmed
    here.post(reverse("account_email"), {"action_add": "", "email": "new@example.com"})
    confirm = link_in(Email.objects.get(to="new@example.com"))
    assert here.post(confirm).status_code == 302

    # when it becomes the login address
    response = here.post(
        reverse("account_email"), {"action_primary": "", "email": "new@example.com"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert_api_session_ended(api, pair)
    assert here.get(SITE_PROFILE).status_code == 200
    assert elsewhere.get(SITE_PROFILE).status_code == 302
    audit = AuditLog.objects.get(action="user.sessions_revoked")
    assert audit.changes["reason"] == "email_changed"


# --- Staff suspension ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_a_suspension_revokes_the_tokens_for_good_even_after_reactivation(api, status):
    user = UserFactory(email="fan@example.com")
    pair = api_login(api, "fan@example.com")
    site = Client()
    site.force_login(user)
    staff = StaffFactory()

    user_set_status(actor=staff, user=user, status=status, reason="fraud")
    user_set_status(actor=staff, user=user, status="active", reason="appeal")

    assert_api_session_ended(api, pair)
    assert site.get(SITE_PROFILE).status_code == 302
    outstanding = OutstandingToken.objects.filter(user=user)
    assert outstanding.exists()
    assert BlacklistedToken.objects.filter(token__in=outstanding).count() == outstanding.count()


# --- Logout and refresh-token reuse ----------------------------------------------------


def test_logout_ends_that_sessions_access_token_at_once(api):
    UserFactory(email="fan@example.com")
    phone, laptop = api_login(api, "fan@example.com"), api_login(api, "fan@example.com")

    ok_data(api.post(LOGOUT, {"refresh": phone["refresh"]}))

    assert_api_session_ended(api, phone)
    # The account's other session goes on.
    assert ok_data(bearer(laptop["access"]).get(PROFILE))["email"] == "fan@example.com"
    ok_data(refreshed(api, laptop["refresh"]))


def test_logout_everywhere_ends_every_session_of_the_account(api):
    user = UserFactory(email="fan@example.com")
    phone, laptop = api_login(api, "fan@example.com"), api_login(api, "fan@example.com")
    site = Client()
    site.force_login(user)

    ok_data(api.post(LOGOUT, {"refresh": phone["refresh"], "everywhere": True}))

    assert_api_session_ended(api, phone)
    assert_api_session_ended(api, laptop)
    assert site.get(SITE_PROFILE).status_code == 302


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api):
    # given a stolen refresh token that its owner has since rotated
    UserFactory(email="fan@example.com")
    stolen = api_login(api, "fan@example.com")
    current = ok_data(refreshed(api, stolen["refresh"]))
    other_device = api_login(api, "fan@example.com")

    # when the thief presents the spent token
    error_of(refreshed(api, stolen["refresh"]), 401, "UNAUTHORIZED")

    # then every session of the account ends: the reuse means one token leaked
    assert_api_session_ended(api, current)
    assert_api_session_ended(api, other_device)
    audit = AuditLog.objects.get(action="user.sessions_revoked")
    assert audit.changes["reason"] == "refresh_token_reused"


# --- Staff in the admin ------------------------------------------------------------------


def test_staff_setting_a_password_in_the_admin_ends_the_accounts_sessions(client, api):
    staff = StaffFactory()
    client.force_login(staff)
    user = UserFactory(email="fan@example.com")
    pair = api_login(api, "fan@example.com")

    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    assert_api_session_ended(api, pair)
    audit = AuditLog.objects.get(action="user.sessions_revoked")
    assert (audit.actor, audit.changes["reason"]) == (staff, "password_changed")
    assert client.get("/admin/").status_code == 200  # the staff member's own session stays


def test_staff_changing_an_email_in_the_admin_ends_the_accounts_sessions(client, api):
    from accounts.tests.test_admin import change_form_data

    staff = StaffFactory()
    client.force_login(staff)
    user = UserFactory(email="fan@example.com")
    pair = api_login(api, "fan@example.com")

    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        change_form_data(user, email="new@example.com"),
    )

    assert response.status_code == 302, response.content
    assert_api_session_ended(api, pair)
    assert AuditLog.objects.get(action="user.sessions_revoked").changes["reason"] == (
        "email_changed"
    )


def test_logout_everywhere_on_the_site_ends_the_api_sessions_too(client, api):
    user = UserFactory(email="fan@example.com")
    pair = api_login(api, "fan@example.com")
    elsewhere = Client()
    elsewhere.force_login(user)
    client.force_login(user)

    page = client.get(reverse("account_logout")).content.decode()
    assert 'name="everywhere"' in page
    client.post(reverse("account_logout"), {"everywhere": "on"})

    assert_api_session_ended(api, pair)
    assert elsewhere.get(SITE_PROFILE).status_code == 302
    assert client.get(SITE_PROFILE).status_code == 302


def test_a_plain_logout_on_the_site_leaves_the_other_sessions(client, api):
    user = UserFactory(email="fan@example.com")
    pair = api_login(api, "fan@example.com")
    client.force_login(user)

    client.post(reverse("account_logout"))

    ok_data(bearer(pair["access"]).get(PROFILE))


def test_the_profile_tells_an_unconfirmed_account_what_to_do(client):
    client.force_login(UserFactory(email_verified=False))

    page = client.get(SITE_PROFILE).content.decode()

    assert "Confirm your email address to buy, sell" in page
