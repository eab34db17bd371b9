"""The partner API's sign-up and sign-in: /api/v1/auth/register, login, refresh
and logout, the bearer access token, and the rate limits on them.

Every answer is checked against the envelope (ARCHITECTURE.md, "API"):
{success, data | error {code, message, details}, meta {timestamp}}.
"""

import threading
import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import MD5PasswordHasher
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import tokens
from accounts.models import User
from accounts.services import user_set_status
from accounts.tests.factories import StaffFactory, UserFactory, totp_code
from marketplace.core.errors import TokenExpired, Unauthorized
from marketplace.core.models import AuditLog
from marketplace.testing import error_of as assert_error
from marketplace.testing import ok_data as assert_ok
from marketplace.testing import run_in_threads
from messaging.models import Email

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
PROFILE = "/api/v1/users/profile"

PASSWORD = "correct-horse-battery"  # UserFactory's
NEW_PASSWORD = "a-long-pass-phrase-9"


# --- Envelope helpers (test_api_users.py uses them too) ---------------------------


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password})


# --- Register ---------------------------------------------------------------------


def test_register_creates_an_active_unverified_user_and_answers_202(api):
    response = api.post(
        REGISTER, {"email": "New.Fan@Example.com", "password": NEW_PASSWORD, "name": "New Fan"}
    )

    assert assert_ok(response, 202) == {"email": "new.fan@example.com", "verification": "sent"}
    user = User.objects.get(email="new.fan@example.com")
    assert (user.role, user.status, user.email_verified) == ("user", "active", False)
    assert (user.is_staff, user.is_superuser, user.name) == (False, False, "New Fan")
    assert user.check_password(NEW_PASSWORD)
    audit = AuditLog.objects.get(action="user.registered")
    assert (audit.actor, audit.entity_type, audit.entity_id) == (user, "user", str(user.pk))
    assert audit.ip_address == "127.0.0.1"
    assert "confirmation code" in Email.objects.get(to="new.fan@example.com").body
    assert "password" not in response.content.decode()


@pytest.mark.parametrize("typed", ["taken@example.com", "TAKEN@Example.COM", " Taken@example.com "])
def test_register_with_a_taken_email_answers_the_same_and_tells_the_owner(api, typed):
    owner = UserFactory(email="taken@example.com", name="Owner")
    fresh = api.post(REGISTER, {"email": "free@example.com", "password": NEW_PASSWORD})

    response = api.post(REGISTER, {"email": typed, "password": NEW_PASSWORD, "name": "Intruder"})

    data = assert_ok(response, 202)
    assert data == {**assert_ok(fresh, 202), "email": "taken@example.com"}
    assert set(response.json()) == set(fresh.json())
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.name == "Owner" and owner.check_password(PASSWORD)
    notice = Email.objects.get(to="taken@example.com")
    assert "already has one" in notice.body
    assert not AuditLog.objects.filter(entity_id=str(owner.pk)).exists()


def test_register_hashes_the_password_whether_or_not_the_email_is_taken(api, monkeypatch):
    # A taken address must not answer faster than a free one: the slow
    # password hash would otherwise tell who has an account.
    UserFactory(email="taken@example.com")
    calls = []
    encode = MD5PasswordHasher.encode

    def counting_encode(self, password, salt):
        calls.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)

    assert_ok(api.post(REGISTER, {"email": "free@example.com", "password": NEW_PASSWORD}), 202)
    hashes_when_free = len(calls)
    calls.clear()
    assert_ok(api.post(REGISTER, {"email": "taken@example.com", "password": NEW_PASSWORD}), 202)

    assert hashes_when_free >= 1
    assert len(calls) == hashes_when_free


@pytest.mark.parametrize("password", ["password", "12345678901", "short", "weakling@example.com"])
def test_register_refuses_a_weak_password_and_creates_nothing(api, db_snapshot, password):
    before = db_snapshot()

    response = api.post(REGISTER, {"email": "weakling@example.com", "password": password})

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "password"
    assert error["details"]["reason"] == "WEAK_PASSWORD"
    assert db_snapshot() == before


HUGE = "x" * 10_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": NEW_PASSWORD}, "email"),
        ({"password": NEW_PASSWORD}, "email"),
        ({"email": "fan@example.com"}, "password"),
        ({}, "email"),
        ({"email": None, "password": NEW_PASSWORD}, "email"),
        ({"email": 12345, "password": NEW_PASSWORD}, "email"),
        ({"email": ["fan@example.com"], "password": NEW_PASSWORD}, "email"),
        ({"email": "fan@example.com", "password": ["a-long-pass", "phrase-9"]}, "password"),
        ({"email": "fan@example.com", "password": 12345678901234}, "password"),
        ({"email": "fan@example.com", "password": {"a": 1}}, "password"),
        ({"email": f"{HUGE}@example.com", "password": NEW_PASSWORD}, "email"),
        ({"email": "fan@example.com", "password": HUGE}, "password"),
        ({"email": "fan@example.com", "password": NEW_PASSWORD, "name": HUGE}, "name"),
        ({"email": "fan@example.com", "password": NEW_PASSWORD, "phone": HUGE}, "phone"),
        ({"email": "fan@example.com", "password": NEW_PASSWORD, "phone": "call me"}, "phone"),
        ({"email": "fan\x00@example.com", "password": NEW_PASSWORD}, "email"),
        ({"email": "fan@example.com", "password": NEW_PASSWORD, "name": "a\x00b"}, "name"),
    ],
)
def test_register_refuses_bad_input_cleanly_and_changes_nothing(api, db_snapshot, body, field):
    before = db_snapshot()

    response = api.post(REGISTER, body)

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == field
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("[1, 2]", "VALIDATION_ERROR"),
        ('"fan@example.com"', "VALIDATION_ERROR"),
        ("{not json", "INVALID_INPUT"),
        ("", "VALIDATION_ERROR"),
    ],
)
def test_register_refuses_a_body_that_is_not_an_object(api, db_snapshot, raw, code):
    before = db_snapshot()

    response = api.generic("POST", REGISTER, raw, content_type="application/json")

    assert_error(response, 400, code)
    assert db_snapshot() == before


def test_register_ignores_role_status_and_flags_sent_in_the_body(api):
    response = api.post(
        REGISTER,
        {
            "email": "sneaky@example.com",
            "password": NEW_PASSWORD,
            "role": "admin",
            "status": "banned",
            "is_staff": True,
            "is_superuser": True,
            "email_verified": True,
            "phone_verified": True,
            "id": 1,
        },
    )

    assert_ok(response, 202)
    user = User.objects.get(email="sneaky@example.com")
    assert (user.role, user.status) == ("user", "active")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert (user.email_verified, user.phone_verified) == (False, False)


def test_register_is_rate_limited_per_client_address(api, settings):
    settings.RATELIMIT_AUTH = "3/15m"
    for n in range(3):
        assert_ok(
            api.post(REGISTER, {"email": f"bulk{n}@example.com", "password": NEW_PASSWORD}), 202
        )

    response = api.post(REGISTER, {"email": "bulk3@example.com", "password": NEW_PASSWORD})

    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert not User.objects.filter(email="bulk3@example.com").exists()


# --- Login ------------------------------------------------------------------------


def test_login_answers_a_token_pair_and_the_profile_without_the_password(api):
    user = UserFactory(email="fan@example.com")
    assert user.last_login_at is None

    response = login(api, "fan@example.com")

    data = assert_ok(response)
    assert set(data) == {"access", "refresh", "token_type", "expires_in", "user"}
    assert data["token_type"] == "Bearer"
    lifetime = django_settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    assert data["expires_in"] == int(lifetime.total_seconds())
    assert data["user"]["id"] == user.pk and data["user"]["email"] == "fan@example.com"
    text = response.content.decode()
    assert "password" not in text and PASSWORD not in text and user.password not in text
    assert AccessToken(data["access"])["user_id"] == str(user.pk)
    assert RefreshToken(data["refresh"])["user_id"] == str(user.pk)
    assert assert_ok(bearer(data["access"]).get(PROFILE))["id"] == user.pk


def test_login_stamps_last_login_at(api):
    user = UserFactory(email="fan@example.com")

    data = assert_ok(login(api, "fan@example.com"))

    user.refresh_from_db()
    assert user.last_login_at is not None
    assert data["user"]["last_login_at"] is not None


@pytest.mark.parametrize("typed", ["FAN@EXAMPLE.COM", "Fan@Example.com", "  fan@example.com "])
def test_login_email_is_case_insensitive(api, typed):
    user = UserFactory(email="fan@example.com")

    data = assert_ok(login(api, typed))

    assert data["user"]["id"] == user.pk


def test_wrong_password_and_unknown_email_get_the_same_invalid_credentials(api, db_snapshot):
    UserFactory(email="fan@example.com")
    before = db_snapshot()

    wrong_password = assert_error(
        login(api, "fan@example.com", "not-the-password"), 401, "INVALID_CREDENTIALS"
    )
    unknown_email = assert_error(login(api, "nobody@example.com"), 401, "INVALID_CREDENTIALS")

    assert wrong_password == unknown_email
    assert db_snapshot() == before


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_a_blocked_account_with_the_right_password_gets_unauthorized(api, db_snapshot, status):
    UserFactory(email="fan@example.com", status=status)
    before = db_snapshot()

    response = login(api, "fan@example.com")

    assert_error(response, 401, "UNAUTHORIZED")
    assert "access" not in response.content.decode()
    assert db_snapshot() == before  # no last_login_at stamp, no outstanding token


def test_a_blocked_account_with_a_wrong_password_learns_nothing_of_its_status(api):
    UserFactory(email="fan@example.com", status="banned")

    assert_error(login(api, "fan@example.com", "not-the-password"), 401, "INVALID_CREDENTIALS")


def test_a_deactivated_account_cannot_log_in(api):
    UserFactory(email="fan@example.com", is_active=False)

    assert_error(login(api, "fan@example.com"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "fan@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": ["fan@example.com"], "password": PASSWORD}, "email"),
        ({"email": "fan@example.com", "password": [PASSWORD]}, "password"),
        ({"email": HUGE, "password": PASSWORD}, "email"),
        ({"email": "fan@example.com", "password": HUGE}, "password"),
        ({"email": "fan\x00@example.com", "password": PASSWORD}, "email"),
    ],
)
def test_login_refuses_bad_input_with_a_validation_error(api, body, field):
    UserFactory(email="fan@example.com")

    error = assert_error(api.post(LOGIN, body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field


def test_login_refuses_an_email_with_a_lone_surrogate_cleanly(api):
    # Valid JSON; the per-account rate limit key must not choke on it.
    raw = '{"email": "\\ud800@example.com", "password": "guess"}'

    response = api.generic("POST", LOGIN, raw, content_type="application/json")

    assert assert_error(response, 400, "VALIDATION_ERROR")["details"]["field"] == "email"


# --- The access token -------------------------------------------------------------


def test_a_call_without_a_token_is_unauthorized_with_www_authenticate(api):
    response = api.get(PROFILE)

    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer a.b.c", "Bearer", "Bearer one two", "Bearer " + "x" * 5000],
)
def test_a_garbage_token_is_unauthorized(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(PROFILE)

    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_signed_with_another_key_is_unauthorized():
    user = UserFactory()
    payload = AccessToken.for_user(user).payload
    forged = jwt.encode(payload, "an-attacker-key-of-at-least-thirty-two-bytes", algorithm="HS256")

    assert_error(bearer(forged).get(PROFILE), 401, "UNAUTHORIZED")


def test_a_refresh_token_is_not_accepted_as_an_access_token():
    user = UserFactory()

    assert_error(bearer(str(RefreshToken.for_user(user))).get(PROFILE), 401, "UNAUTHORIZED")


def test_an_expired_access_token_answers_token_expired():
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))

    response = bearer(str(token)).get(PROFILE)

    assert_error(response, 401, "TOKEN_EXPIRED")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_an_account_blocked_after_its_token_was_issued_is_refused_at_once(api_as, status):
    user = UserFactory()
    client = api_as(user)
    assert_ok(client.get(PROFILE))

    user_set_status(actor=StaffFactory(), user=user, status=status)

    assert_error(client.get(PROFILE), 401, "UNAUTHORIZED")


def test_the_token_of_a_deleted_account_is_refused(api_as):
    user = UserFactory()
    client = api_as(user)
    User.objects.filter(pk=user.pk).delete()

    assert_error(client.get(PROFILE), 401, "UNAUTHORIZED")


# --- Refresh ----------------------------------------------------------------------


def _pair(client, email="fan@example.com") -> dict:
    return assert_ok(login(client, email))


def test_refresh_rotates_the_pair_and_the_old_refresh_token_is_spent(api):
    user = UserFactory(email="fan@example.com")
    first = _pair(api)

    second = assert_ok(api.post(REFRESH, {"refresh": first["refresh"]}))

    assert set(second) == {"access", "refresh", "token_type", "expires_in", "user"}
    assert second["refresh"] != first["refresh"] and second["access"] != first["access"]
    assert second["user"]["id"] == user.pk
    assert assert_ok(bearer(second["access"]).get(PROFILE))["id"] == user.pk
    # The new refresh token works once.
    third = assert_ok(api.post(REFRESH, {"refresh": second["refresh"]}))
    assert_error(api.post(REFRESH, {"refresh": second["refresh"]}), 401, "UNAUTHORIZED")
    # A spent one presented again is refused, and revokes the account's sessions
    # (test_identity.py): the newest pair stops too.
    response = api.post(REFRESH, {"refresh": first["refresh"]})
    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(api.post(REFRESH, {"refresh": third["refresh"]}), 401, "UNAUTHORIZED")


def test_an_expired_refresh_token_answers_token_expired(api, db_snapshot):
    token = RefreshToken.for_user(UserFactory())
    token.set_exp(lifetime=-timedelta(seconds=1))
    before = db_snapshot()

    assert_error(api.post(REFRESH, {"refresh": str(token)}), 401, "TOKEN_EXPIRED")
    assert db_snapshot() == before


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_a_blocked_account_cannot_refresh(api, status):
    user = UserFactory(email="fan@example.com")
    pair = _pair(api)
    User.objects.filter(pk=user.pk).update(status=status)
    outstanding = OutstandingToken.objects.count()

    assert_error(api.post(REFRESH, {"refresh": pair["refresh"]}), 401, "UNAUTHORIZED")
    assert OutstandingToken.objects.count() == outstanding


@pytest.mark.parametrize("raw", ["garbage", "a.b.c", "x" * 1999])
def test_a_garbage_refresh_token_is_unauthorized(api, raw):
    assert_error(api.post(REFRESH, {"refresh": raw}), 401, "UNAUTHORIZED")


def test_an_access_token_cannot_be_used_to_refresh(api):
    UserFactory(email="fan@example.com")
    pair = _pair(api)

    assert_error(api.post(REFRESH, {"refresh": pair["access"]}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": ["a"]}, {"refresh": "x" * 2001}])
def test_refresh_refuses_bad_input_with_a_validation_error(api, body):
    error = assert_error(api.post(REFRESH, body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == "refresh"


def _check_then_blacklist(both_checked: threading.Barrier):
    """The race the row lock prevents: check, then blacklist. Both refreshes
    check before either blacklists: each waits at the barrier `both_checked`
    between the two."""

    def spend(token):
        spent = BlacklistedToken.objects.filter(token__jti=token["jti"]).exists()
        both_checked.wait()
        if spent:
            return False
        token.blacklist()
        return True

    return spend


def _race_two_refreshes(user):
    raw = str(RefreshToken.for_user(user))
    results, _ = run_in_threads([lambda: tokens.token_refresh(refresh=raw)] * 2)
    return raw, results


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_two_racing_refreshes_both_get_a_pair(monkeypatch):
    monkeypatch.setattr(tokens, "_spend", _check_then_blacklist(threading.Barrier(2, timeout=30)))

    _, results = _race_two_refreshes(UserFactory())

    assert [type(r) for r in results] == [tokens.TokenPair, tokens.TokenPair]


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_racing_with_the_same_token_yield_exactly_one_pair():
    user = UserFactory()

    raw, results = _race_two_refreshes(user)

    wins = [r for r in results if isinstance(r, tokens.TokenPair)]
    refused = [r for r in results if isinstance(r, Unauthorized)]
    assert (len(wins), len(refused)) == (1, 1), results
    assert (
        BlacklistedToken.objects.filter(token__jti=RefreshToken(raw, verify=False)["jti"]).count()
        == 1
    )
    # The winner's new refresh token is the only live one: it works.
    assert isinstance(tokens.token_refresh(refresh=wins[0].refresh), tokens.TokenPair)


@pytest.mark.django_db(transaction=True)
def test_two_refresh_requests_racing_over_http_get_one_200_and_one_401(live_server):
    import requests

    raw = str(RefreshToken.for_user(UserFactory()))
    url = f"{live_server.url}{REFRESH}"

    results, _ = run_in_threads([lambda: requests.post(url, json={"refresh": raw}, timeout=30)] * 2)

    assert sorted(r.status_code for r in results) == [200, 401], results
    loser = next(r for r in results if r.status_code == 401).json()
    assert (loser["success"], loser["error"]["code"]) == (False, "UNAUTHORIZED")


def test_the_refresh_service_raises_token_expired_for_an_expired_token():
    token = RefreshToken.for_user(UserFactory())
    token.set_exp(lifetime=-timedelta(seconds=1))

    with pytest.raises(TokenExpired):
        tokens.token_refresh(refresh=str(token))


# --- Logout -----------------------------------------------------------------------


def test_logout_revokes_the_refresh_token(api):
    UserFactory(email="fan@example.com")
    pair = _pair(api)

    assert assert_ok(api.post(LOGOUT, {"refresh": pair["refresh"]})) == {"logged_out": True}

    assert_error(api.post(REFRESH, {"refresh": pair["refresh"]}), 401, "UNAUTHORIZED")


def test_logging_out_twice_is_unauthorized(api):
    UserFactory(email="fan@example.com")
    pair = _pair(api)
    assert_ok(api.post(LOGOUT, {"refresh": pair["refresh"]}))

    assert_error(api.post(LOGOUT, {"refresh": pair["refresh"]}), 401, "UNAUTHORIZED")


def test_logout_leaves_the_other_sessions_of_the_account_alone(api):
    UserFactory(email="fan@example.com")
    phone, laptop = _pair(api), _pair(api)

    assert_ok(api.post(LOGOUT, {"refresh": phone["refresh"]}))

    assert_ok(api.post(REFRESH, {"refresh": laptop["refresh"]}))


@pytest.mark.parametrize("raw", ["garbage", "a.b.c"])
def test_logout_with_a_garbage_token_is_unauthorized(api, db_snapshot, raw):
    before = db_snapshot()

    assert_error(api.post(LOGOUT, {"refresh": raw}), 401, "UNAUTHORIZED")
    assert db_snapshot() == before


def test_logout_with_an_expired_token_answers_token_expired(api):
    token = RefreshToken.for_user(UserFactory())
    token.set_exp(lifetime=-timedelta(seconds=1))

    assert_error(api.post(LOGOUT, {"refresh": str(token)}), 401, "TOKEN_EXPIRED")


# --- Rate limits ------------------------------------------------------------------


def _assert_rate_headers(response, *, limit: int, remaining: int) -> None:
    assert response["RateLimit-Limit"] == str(limit)
    assert response["RateLimit-Remaining"] == str(remaining)
    assert 0 <= int(response["RateLimit-Reset"]) <= 15 * 60


def _assert_limited(response, *, limit: int) -> None:
    error = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert error["details"]["retryAfter"] == retry_after
    _assert_rate_headers(response, limit=limit, remaining=0)


def test_the_fourth_login_from_one_address_is_refused(api, settings):
    settings.RATELIMIT_AUTH = "3/15m"
    UserFactory(email="fan@example.com")
    # given three failed attempts on three accounts from one address
    for n in range(3):
        response = login(api, f"guess{n}@example.com", "guess")
        assert_error(response, 401, "INVALID_CREDENTIALS")
        _assert_rate_headers(response, limit=3, remaining=2 - n)

    # when a fourth comes, even with the right password
    response = login(api, "fan@example.com")

    # then it is refused and nothing is stamped
    _assert_limited(response, limit=3)
    assert User.objects.get(email="fan@example.com").last_login_at is None


def test_after_failures_on_one_account_a_new_address_waits_while_it_cools_down(settings):
    settings.RATELIMIT_AUTH = "3/15m"
    UserFactory(email="fan@example.com")
    UserFactory(email="other@example.com")
    for n, typed in enumerate(["fan@example.com", "FAN@example.com", " Fan@Example.com"]):
        client = APIClient(REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert_error(login(client, typed, "guess"), 401, "INVALID_CREDENTIALS")

    response = login(APIClient(REMOTE_ADDR="10.0.0.4"), "fan@example.com")

    # A short cooldown (LOGIN_COOLDOWN_SECONDS), no lockout: see test_login_limits.py.
    error = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert error["details"]["reason"] == "ACCOUNT_COOLDOWN"
    assert 0 < int(response["Retry-After"]) <= django_settings.LOGIN_COOLDOWN_SECONDS
    # The same address can still log in to another account.
    assert_ok(login(APIClient(REMOTE_ADDR="10.0.0.4"), "other@example.com"))


def test_the_cooldown_doubles_with_each_failure_up_to_the_period(settings):
    from accounts.login_limits import login_cooldown_left, login_failure_record

    settings.RATELIMIT_AUTH = "3/5m"
    settings.LOGIN_COOLDOWN_SECONDS = 30

    waits = []
    for _ in range(7):
        login_failure_record(email="fan@example.com")
        waits.append(login_cooldown_left(email="fan@example.com", ip_address="192.0.2.1"))

    assert waits[:2] == [0, 0]
    assert [round(w, -1) for w in waits[2:]] == [30, 60, 120, 240, 300]


def test_the_cooldown_ends_and_the_account_is_checked_again(settings):
    from accounts.login_limits import login_cooldown_left, login_failure_record

    settings.RATELIMIT_AUTH = "3/15m"
    settings.LOGIN_COOLDOWN_SECONDS = 1
    UserFactory(email="fan@example.com")
    for _ in range(3):
        login_failure_record(email="fan@example.com")
    assert login_cooldown_left(email="fan@example.com", ip_address="192.0.2.1") == 1

    time.sleep(1.1)

    assert login_cooldown_left(email="fan@example.com", ip_address="192.0.2.1") == 0
    assert_ok(login(APIClient(REMOTE_ADDR="192.0.2.1"), "fan@example.com"))


def test_an_email_that_looks_like_an_address_does_not_use_up_that_address_limit(settings):
    settings.RATELIMIT_AUTH = "3/15m"
    UserFactory(email="fan@example.com")
    # An attacker sends "emails" equal to the victim's address, from elsewhere.
    for n in range(3):
        attacker = APIClient(REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert_error(
            attacker.post(LOGIN, {"email": "10.0.0.1", "password": "x"}), 401, "INVALID_CREDENTIALS"
        )

    assert_ok(login(APIClient(REMOTE_ADDR="10.0.0.1"), "fan@example.com"))


def test_the_api_limit_counts_per_user(settings, api_as):
    settings.RATELIMIT_API = "5/15m"
    user, other = UserFactory(), UserFactory()
    client = api_as(user)
    for n in range(5):
        response = client.get(PROFILE)
        assert_ok(response)
        _assert_rate_headers(response, limit=5, remaining=4 - n)

    _assert_limited(client.get(PROFILE), limit=5)

    # Another user on the same client address is not affected.
    response = api_as(other).get(PROFILE)
    assert assert_ok(response)["id"] == other.pk
    _assert_rate_headers(response, limit=5, remaining=4)


def test_the_daily_job_forgets_expired_refresh_tokens_and_keeps_live_ones():
    from django.utils import timezone

    from accounts.tasks import tokens_flush

    user = UserFactory()
    live = RefreshToken.for_user(user)
    spent = RefreshToken.for_user(user)
    spent.blacklist()
    OutstandingToken.objects.filter(jti=spent["jti"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert tokens_flush.apply().get() == 1

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert not BlacklistedToken.objects.exists()


def test_the_site_session_keeps_working_beside_the_api_which_takes_tokens_only(client):
    from tickets.tests.factories import TicketFactory

    staff = StaffFactory()
    ticket = TicketFactory(owner=staff)

    # The site's login (the admin's too): the password, then the staff's second step.
    client.post("/accounts/login/", {"login": staff.email, "password": "correct-horse-battery"})
    logged_in = client.post("/accounts/2fa/authenticate/", {"code": totp_code(staff.totp_secret)})

    assert logged_in.status_code == 302
    assert client.get(f"/tickets/{ticket.pk}/file/").status_code == 200
    # The session cookie is no API credential, so no cross-site form can use it.
    assert_error(client.get("/api/v1/tickets"), 401, "UNAUTHORIZED")
