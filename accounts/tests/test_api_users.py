"""The partner API's users: the staff list, public profiles, one's own profile
and the email verification code (/api/v1/users...)."""

import json
import re
import time
from unittest.mock import ANY

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import VERIFICATION_SALT, email_verification_token
from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from accounts.tests.test_api_auth import NEW_PASSWORD, assert_error, assert_ok
from marketplace.core.models import AuditLog
from messaging.models import Email

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users"
PROFILE = "/api/v1/users/profile"
VERIFY = "/api/v1/users/verify"

PROFILE_FIELDS = {
    "id",
    "public_id",
    "email",
    "name",
    "phone",
    "role",
    "status",
    "email_verified",
    "phone_verified",
    "avatar_url",
    "preferences",
    "created_at",
    "updated_at",
    "last_login_at",
}
PUBLIC_FIELDS = {
    "id",
    "name",
    "avatar_url",
    "email_verified",
    "phone_verified",
    "member_since",
}


@pytest.fixture
def staff_api(api_as):
    return api_as(StaffFactory(email="staff@example.com", name="Stella Staff"))


def _users(count: int, prefix: str = "bulk") -> list[User]:
    return User.objects.bulk_create(
        User(email=f"{prefix}{n}@example.com", name=f"{prefix} {n}") for n in range(count)
    )


# --- The staff list ---------------------------------------------------------------


def test_staff_list_users_with_their_profiles_and_pagination(staff_api):
    UserFactory(email="ann@example.com")
    OrganizerFactory(email="org@example.com")

    response = staff_api.get(USERS)

    data = assert_ok(response)
    meta = response.json()["meta"]
    assert meta["pagination"] == {
        "page": 1,
        "limit": 20,
        "total": 3,
        "totalPages": 1,
        "totalExact": True,
        "nextCursor": ANY,
    }
    # Newest first.
    assert [row["email"] for row in data] == [
        "org@example.com",
        "ann@example.com",
        "staff@example.com",
    ]
    assert all(set(row) == PROFILE_FIELDS for row in data)
    assert "password" not in response.content.decode()


@pytest.mark.parametrize("factory", [UserFactory, OrganizerFactory])
def test_the_user_list_is_forbidden_to_non_staff(api_as, factory):
    response = api_as(factory()).get(USERS)

    assert_error(response, 403, "FORBIDDEN")


def test_the_user_list_needs_a_token(api):
    assert_error(api.get(USERS), 401, "UNAUTHORIZED")


def test_an_admin_role_without_staff_access_cannot_list_users(api_as):
    assert_error(api_as(UserFactory(role="admin")).get(USERS), 403, "FORBIDDEN")


def test_staff_without_two_step_login_cannot_list_users_with_a_password_alone(api_as):
    # As for the admin: a staff password alone does not open every account.
    error = assert_error(api_as(StaffFactory(mfa=False)).get(USERS), 403, "FORBIDDEN")

    assert "two-step login" in error["message"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "ANN"}, ["ann@example.com", "joanna@example.com"]),
        ({"q": "smith"}, ["bob@example.com"]),
        ({"role": "organizer"}, ["org@example.com"]),
        ({"status": "banned"}, ["joanna@example.com"]),
        ({"q": "ann", "status": "active"}, ["ann@example.com"]),
        ({"role": "organizer", "status": "banned"}, []),
        ({"q": "nobody-matches"}, []),
    ],
)
def test_staff_filter_the_user_list_by_text_role_and_status(staff_api, params, expected):
    UserFactory(email="ann@example.com", name="Ann Lee")
    UserFactory(email="bob@example.com", name="Bob Smith")
    OrganizerFactory(email="org@example.com", name="Venue Ltd")
    UserFactory(email="joanna@example.com", name="Jo", status="banned")

    response = staff_api.get(USERS, params)

    assert sorted(row["email"] for row in assert_ok(response)) == expected
    assert response.json()["meta"]["pagination"]["total"] == len(expected)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"role": "superuser"}, "role"),
        ({"status": "deleted"}, "status"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_bad_user_list_filters_are_refused(staff_api, params, field):
    error = assert_error(staff_api.get(USERS, params), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field


def test_the_user_list_pages_through_the_accounts(staff_api):
    _users(24)  # 25 with the staff account

    response = staff_api.get(USERS, {"page": 3, "limit": 10})

    assert len(assert_ok(response)) == 5
    assert response.json()["meta"]["pagination"] == {
        "page": 3,
        "limit": 10,
        "total": 25,
        "totalPages": 3,
        "totalExact": True,
        "nextCursor": ANY,
    }
    past_the_end = staff_api.get(USERS, {"page": 4, "limit": 10})
    assert assert_ok(past_the_end) == []
    assert past_the_end.json()["meta"]["pagination"]["total"] == 25


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": 10**30}, "page"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "x"}, "limit"),
    ],
)
def test_a_bad_page_or_limit_is_refused(staff_api, params, field):
    error = assert_error(staff_api.get(USERS, params), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field
    assert error["details"]["reason"] == "INVALID_PAGINATION"


@pytest.mark.parametrize("limit", [101, 1000, 10**30])
def test_a_limit_over_100_is_capped_at_100(staff_api, limit):
    _users(104)

    response = staff_api.get(USERS, {"limit": limit})

    assert len(assert_ok(response)) == 100
    assert response.json()["meta"]["pagination"] == {
        "page": 1,
        "limit": 100,
        "total": 105,
        "totalPages": 2,
        "totalExact": True,
        "nextCursor": ANY,
    }


def test_the_user_list_costs_the_same_queries_for_2_or_20_users(staff_api):
    def queries_for_the_list():
        with CaptureQueriesContext(connection) as queries:
            assert_ok(staff_api.get(USERS))
        return len(queries)

    _users(1)  # and the staff account: 2
    with_two = queries_for_the_list()
    _users(18, prefix="more")
    with_twenty = queries_for_the_list()

    assert User.objects.count() == 20
    assert with_two == with_twenty
    # the token's user (with its API session), the staff's second factor, the count, the page
    assert with_twenty <= 4


# --- Public profile ---------------------------------------------------------------


@pytest.fixture
def fan():
    return UserFactory(
        email="fan@example.com",
        name="Fiona Fan",
        phone="+353 1 555 0100",
        phone_verified=True,
        avatar_url="https://img.example.com/fiona.png",
    )


@pytest.mark.parametrize("viewer", ["anonymous", "another user", "staff", "self"])
def test_a_public_profile_never_shows_the_email_or_phone(api, api_as, fan, viewer):
    client = {
        "anonymous": lambda: api,
        "another user": lambda: api_as(UserFactory()),
        "staff": lambda: api_as(StaffFactory()),
        "self": lambda: api_as(fan),
    }[viewer]()

    response = client.get(f"{USERS}/{fan.public_id}")

    data = assert_ok(response)
    assert set(data) == PUBLIC_FIELDS
    assert data["id"] == fan.public_id and data["name"] == "Fiona Fan"
    assert (data["phone_verified"], data["avatar_url"]) == (True, fan.avatar_url)
    # Nowhere in the data, whatever the field (the meta's timestamp aside).
    text = json.dumps(data)
    assert "fan@example.com" not in text and "555 0100" not in text


def test_a_public_profile_without_a_name_shows_a_placeholder_not_the_email(api):
    user = UserFactory(email="anon@example.com", name="")

    data = assert_ok(api.get(f"{USERS}/{user.public_id}"))

    assert data["name"] == "Encore fan"


@pytest.mark.parametrize("user_id", ["987654", "999999999999999999", "A" * 22, "a-b_c" * 4 + "xy"])
def test_an_unknown_user_id_is_not_found(api, user_id):
    assert_error(api.get(f"{USERS}/{user_id}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "path", ["12345678901234567890", "9999999999999999999", "0", "-1", "abc", "1.5"]
)
def test_a_malformed_user_id_answers_404_in_the_envelope(api, path):
    assert_error(api.get(f"{USERS}/{path}"), 404, "NOT_FOUND")


# --- Own profile ------------------------------------------------------------------


def test_the_owner_gets_the_whole_profile(api_as, fan):
    data = assert_ok(api_as(fan).get(PROFILE))

    assert set(data) == PROFILE_FIELDS
    assert (data["id"], data["email"], data["phone"]) == (fan.pk, "fan@example.com", fan.phone)
    assert (data["role"], data["status"]) == ("user", "active")


def test_the_profile_needs_a_token(api):
    assert_error(api.get(PROFILE), 401, "UNAUTHORIZED")
    assert_error(api.patch(PROFILE, {"name": "x"}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("method", ["patch", "put"])
def test_the_owner_changes_name_phone_avatar_and_preferences(api_as, fan, method):
    body = {
        "name": "  Fiona F.  ",
        "phone": "+44 20 7946 0000",
        "avatar_url": "https://img.example.com/new.png",
        "preferences": {"currency": "EUR", "alerts": {"email": False}, "cities": ["Dublin"]},
    }

    data = assert_ok(getattr(api_as(fan), method)(PROFILE, body))

    fan.refresh_from_db()
    assert (fan.name, fan.phone, fan.avatar_url) == (
        "Fiona F.",
        "+44 20 7946 0000",
        "https://img.example.com/new.png",
    )
    assert fan.preferences == body["preferences"]
    assert fan.phone_verified is False  # a new number must be verified again
    assert (data["name"], data["phone"], data["phone_verified"]) == ("Fiona F.", fan.phone, False)


def test_a_patch_changes_only_the_fields_sent(api_as, fan):
    assert_ok(api_as(fan).patch(PROFILE, {"name": "Fi"}))

    fan.refresh_from_db()
    assert (fan.name, fan.phone, fan.phone_verified) == ("Fi", "+353 1 555 0100", True)
    assert fan.avatar_url == "https://img.example.com/fiona.png"


def test_sending_the_same_phone_keeps_it_verified(api_as, fan):
    assert_ok(api_as(fan).patch(PROFILE, {"phone": " +353 1 555 0100 "}))

    fan.refresh_from_db()
    assert fan.phone_verified is True


def test_clearing_the_phone_resets_its_verification(api_as, fan):
    assert_ok(api_as(fan).patch(PROFILE, {"phone": ""}))

    fan.refresh_from_db()
    assert (fan.phone, fan.phone_verified) == ("", False)


def test_the_profile_ignores_email_role_status_and_flags(api_as, fan):
    before = User.objects.filter(pk=fan.pk).values().get()
    body = {
        "email": "hijack@example.com",
        "role": "admin",
        "status": "banned",
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "email_verified": False,
        "phone_verified": False,
        "password": "new-password-123",
        "id": fan.pk + 1,
        "created_at": "2000-01-01T00:00:00Z",
        "last_login_at": "2000-01-01T00:00:00Z",
    }

    data = assert_ok(api_as(fan).patch(PROFILE, body))

    after = User.objects.filter(pk=fan.pk).values().get()
    assert after == before
    assert (data["email"], data["role"], data["status"]) == ("fan@example.com", "user", "active")
    assert not User.objects.filter(email="hijack@example.com").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "not a phone"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "1" * 10_000}, "phone"),
        ({"phone": None}, "phone"),
        ({"phone": ["+3531555"]}, "phone"),
        ({"preferences": ["a", "b"]}, "preferences"),
        ({"preferences": "dark-mode"}, "preferences"),
        ({"preferences": 42}, "preferences"),
        ({"preferences": None}, "preferences"),
        ({"preferences": {"notes": "x" * 5000}}, "preferences"),
        ({"preferences": {"notes": "a\x00b"}}, "preferences"),
        ({"preferences": {"a\x00b": 1}}, "preferences"),
        ({"avatar_url": "not a url"}, "avatar_url"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "https://img.example.com/" + "a" * 10_000}, "avatar_url"),
        ({"name": "n" * 10_000}, "name"),
        ({"name": None}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "Fi", "phone": "not a phone"}, "phone"),
    ],
)
def test_a_bad_profile_change_is_refused_and_changes_nothing(api_as, fan, db_snapshot, body, field):
    client = api_as(fan)
    before = db_snapshot()

    error = assert_error(client.patch(PROFILE, body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "raw",
    [
        '{"preferences": {"note": "\\ud800"}}',
        '{"preferences": {"\\udfff": 1}}',
        '{"preferences": {"list": [[["\\u0000"]]]}}',
    ],
)
def test_preferences_the_database_cannot_store_are_refused(api_as, fan, db_snapshot, raw):
    # Valid JSON, but PostgreSQL's jsonb refuses NUL and unpaired surrogates.
    client = api_as(fan)
    before = db_snapshot()

    response = client.generic("PATCH", PROFILE, raw, content_type="application/json")

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "preferences", "reason": "INVALID_CHARACTERS"}
    assert db_snapshot() == before


@pytest.mark.parametrize(("raw", "code"), [("[1]", "VALIDATION_ERROR"), ("{oops", "INVALID_INPUT")])
def test_a_profile_body_that_is_not_an_object_is_refused(api_as, fan, db_snapshot, raw, code):
    client = api_as(fan)
    before = db_snapshot()

    response = client.generic("PATCH", PROFILE, raw, content_type="application/json")

    assert_error(response, 400, code)
    assert db_snapshot() == before


# --- Email verification -----------------------------------------------------------


def _registered_code(api, email="new@example.com") -> str:
    assert_ok(api.post("/api/v1/auth/register", {"email": email, "password": NEW_PASSWORD}), 202)
    body = Email.objects.filter(to=email).latest("id").body
    return re.search(r"^(\S{40,})$", body, re.MULTILINE).group(1)


def test_the_emailed_code_verifies_the_address_and_is_audited(api):
    code = _registered_code(api)

    data = assert_ok(api.post(VERIFY, {"token": code}))

    user = User.objects.get(email="new@example.com")
    assert user.email_verified is True
    assert (data["id"], data["email_verified"]) == (user.pk, True)
    assert set(data) == PROFILE_FIELDS
    audit = AuditLog.objects.get(action="user.email_verified")
    assert (audit.actor, audit.entity_id) == (user, str(user.pk))
    assert audit.changes == {"email_verified": {"from": False, "to": True}}


def test_using_the_code_again_is_harmless(api):
    code = _registered_code(api)
    assert_ok(api.post(VERIFY, {"token": code}))

    data = assert_ok(api.post(VERIFY, {"token": code}))

    assert data["email_verified"] is True
    assert AuditLog.objects.filter(action="user.email_verified").count() == 1


@pytest.mark.parametrize("token", ["garbage", "a:b:c", "x" * 500, "eyJ1IjoxfQ:1abc:sig"])
def test_a_garbage_code_is_invalid(api, db_snapshot, token):
    before = db_snapshot()

    error = assert_error(api.post(VERIFY, {"token": token}), 400, "VALIDATION_ERROR")

    assert error["details"] == {"field": "token", "reason": "INVALID_TOKEN"}
    assert db_snapshot() == before


def test_a_code_signed_for_another_purpose_is_invalid(api):
    user = UserFactory(email_verified=False)
    forged = signing.dumps({"u": user.pk, "e": user.email}, salt="another-purpose")

    error = assert_error(api.post(VERIFY, {"token": forged}), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "INVALID_TOKEN"
    user.refresh_from_db()
    assert user.email_verified is False


def _code_issued(user, *, seconds_ago: int, monkeypatch) -> str:
    """A verification code as if emailed `seconds_ago` seconds ago (the
    signer's clock is moved back while it signs; nothing else is)."""
    issued = int(time.time()) - seconds_ago
    with monkeypatch.context() as frozen:
        frozen.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(issued)
        )
        return email_verification_token(user=user)


def test_an_expired_code_answers_token_expired(api, monkeypatch, settings):
    user = UserFactory(email_verified=False)
    validity = settings.EMAIL_VERIFICATION_DAYS * 24 * 3600
    code = _code_issued(user, seconds_ago=validity + 60, monkeypatch=monkeypatch)

    error = assert_error(api.post(VERIFY, {"token": code}), 400, "VALIDATION_ERROR")

    assert error["details"] == {"field": "token", "reason": "TOKEN_EXPIRED"}
    user.refresh_from_db()
    assert user.email_verified is False


def test_a_code_just_inside_its_validity_still_works(api, monkeypatch, settings):
    user = UserFactory(email_verified=False)
    validity = settings.EMAIL_VERIFICATION_DAYS * 24 * 3600
    code = _code_issued(user, seconds_ago=validity - 60, monkeypatch=monkeypatch)

    assert assert_ok(api.post(VERIFY, {"token": code}))["email_verified"] is True


def test_a_code_for_an_old_email_is_invalid_after_the_email_changed(api):
    code = _registered_code(api, "old@example.com")
    User.objects.filter(email="old@example.com").update(email="new-address@example.com")

    error = assert_error(api.post(VERIFY, {"token": code}), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "INVALID_TOKEN"
    assert User.objects.get(email="new-address@example.com").email_verified is False


def test_a_code_for_a_deleted_account_is_invalid(api):
    user = UserFactory(email_verified=False)
    code = email_verification_token(user=user)
    User.objects.filter(pk=user.pk).delete()

    error = assert_error(api.post(VERIFY, {"token": code}), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "INVALID_TOKEN"


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": ["a"]}, {"token": "x" * 501}])
def test_verify_refuses_a_missing_or_malformed_code(api, body):
    error = assert_error(api.post(VERIFY, body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == "token"


def test_a_code_signed_with_the_verification_salt_verifies(api):
    # The counterpart of the other-purpose test: only the salt differs there.
    user = UserFactory(email_verified=False)
    code = signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFICATION_SALT)

    assert assert_ok(api.post(VERIFY, {"token": code}))["email_verified"] is True


def test_preferences_nested_too_deep_are_refused_and_nothing_changes(api_as, fan, db_snapshot):
    deep = {}
    for _ in range(11):
        deep = {"a": deep}
    before = db_snapshot()

    response = api_as(fan).patch(f"{USERS}/profile", {"preferences": deep})

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "preferences", "reason": "TOO_DEEP"}
    assert db_snapshot() == before
