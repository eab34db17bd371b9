"""No answer tells whether an address has an Encore account: sign-up, login and
password reset answer a known address and an unknown one alike, on the site
(django-allauth's pages) and on the API, in status, redirect, page text and
cookies, and in the work done (the slow password hash runs as often either
way, so the time taken tells nothing either)."""

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from marketplace.testing import error_body, ok_body
from messaging.models import Email

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
NEW_PASSWORD = "a-long-pass-phrase-9"
KNOWN = "known@example.com"
UNKNOWN = "nobody@example.com"

SIGNUP = reverse("account_signup")
LOGIN = reverse("account_login")
RESET = reverse("account_reset_password")


@pytest.fixture
def hashes(monkeypatch):
    """The passwords hashed (set or checked) since the fixture started."""
    calls = []
    encode = MD5PasswordHasher.encode

    def counting_encode(self, password, salt):
        calls.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)
    return calls


def known_account(kind: str) -> User:
    """An account at KNOWN: verified, unconfirmed, deactivated or blocked."""
    if kind == "verified":
        return UserFactory(email=KNOWN)
    if kind == "unverified":
        return UserFactory(email=KNOWN, email_verified=False)
    if kind == "inactive":
        return UserFactory(email=KNOWN, is_active=False)
    return UserFactory(email=KNOWN, status=kind)  # suspended, banned


ACCOUNT_KINDS = ["verified", "unverified", "inactive", "suspended", "banned"]


def page_text(response, *typed: str) -> str:
    """The page, without what legitimately differs between two requests: the
    CSRF token (masked afresh each time) and the address the visitor typed."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", text)
    for value in typed:
        text = text.replace(value, "<typed>")
    return text


def answer(response, *typed: str):
    """Everything a visitor sees of an answer: status, redirect, cookies set, page."""
    return (
        response.status_code,
        response.get("Location"),
        sorted(response.cookies),
        page_text(response, *typed),
    )


def _post_then_follow(path: str, data: dict, typed: str):
    """A fresh visitor posts a form: the answer, and the page it leads to."""
    client = Client()
    client.get(path)  # the form first, as a browser does (CSRF cookie)
    response = client.post(path, data)
    landing = client.get(response["Location"]) if response.status_code == 302 else None
    return answer(response, typed), landing and answer(landing, typed)


# --- The site: sign-up -------------------------------------------------------------


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_signing_up_with_a_taken_address_looks_like_signing_up_with_a_free_one(kind):
    known_account(kind)

    def sign_up(email):
        data = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        return _post_then_follow(SIGNUP, data, email)

    taken = sign_up(KNOWN)
    free = sign_up(UNKNOWN)

    assert taken == free
    assert taken[0][:2] == (302, reverse("account_email_verification_sent"))
    # Each address's owner hears by email, the new one with a link to confirm.
    assert User.objects.filter(email__iexact=KNOWN).count() == 1
    assert User.objects.get(email=KNOWN).check_password(PASSWORD)
    assert Email.objects.filter(to=KNOWN).count() == 1
    assert Email.objects.filter(to=UNKNOWN).count() == 1


def test_signing_up_hashes_the_password_whether_or_not_the_address_is_taken(hashes):
    # The password hash is deliberately slow: skipping it for a taken address
    # would make that answer faster, and so tell who has an account.
    known_account("verified")
    hashes.clear()

    _post_then_follow(
        SIGNUP, {"email": UNKNOWN, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, UNKNOWN
    )
    when_free = len(hashes)
    hashes.clear()
    _post_then_follow(
        SIGNUP, {"email": KNOWN, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, KNOWN
    )

    assert when_free >= 1
    assert len(hashes) == when_free


# --- The site: login ---------------------------------------------------------------


def _site_login(email: str, password: str):
    client = Client()
    client.get(LOGIN)
    return answer(client.post(LOGIN, {"login": email, "password": password}), email)


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_a_wrong_password_on_the_site_answers_as_an_unknown_address_does(kind):
    known_account(kind)

    wrong_password = _site_login(KNOWN, "not-the-password")
    unknown = _site_login(UNKNOWN, "not-the-password")

    assert wrong_password == unknown
    status, location, _cookies, text = wrong_password
    assert (status, location) == (200, None)
    # One error, about the credentials: nothing of the account's state (not
    # confirmed, deactivated, suspended) for someone without its password.
    errors = re.findall(r'<p class="form-error">([^<]*)</p>', text)
    assert errors == ["The email address and/or password you specified are not correct."]


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_a_wrong_password_on_the_site_costs_as_many_hashes_as_an_unknown_address(kind, hashes):
    known_account(kind)
    hashes.clear()

    _site_login(UNKNOWN, "not-the-password")
    for_unknown = len(hashes)
    hashes.clear()
    _site_login(KNOWN, "not-the-password")

    assert for_unknown >= 1
    assert len(hashes) == for_unknown


# --- The site: password reset ------------------------------------------------------


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_a_password_reset_answers_a_known_and_an_unknown_address_alike(kind):
    known_account(kind)

    for_known = _post_then_follow(RESET, {"email": KNOWN}, KNOWN)
    for_unknown = _post_then_follow(RESET, {"email": UNKNOWN}, UNKNOWN)

    assert for_known == for_unknown
    assert for_known[0][:2] == (302, reverse("account_reset_password_done"))
    # Both addresses get an email: a link for the account, a notice for the other.
    assert Email.objects.filter(to=KNOWN).count() == 1
    assert Email.objects.filter(to=UNKNOWN).count() == 1


# --- The API -----------------------------------------------------------------------


def _without_timestamp(body: dict) -> dict:
    return {**body, "meta": {**body["meta"], "timestamp": None}}


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_api_register_answers_a_taken_and_a_free_address_alike(api, kind):
    known_account(kind)

    def register(email):
        response = api.post("/api/v1/auth/register", {"email": email, "password": NEW_PASSWORD})
        body = _without_timestamp(ok_body(response, 202))
        body["data"]["email"] = body["data"]["email"].replace(email, "<typed>")
        return response.status_code, sorted(response.cookies), body

    assert register(KNOWN) == register(UNKNOWN)


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_api_login_with_a_wrong_password_answers_as_an_unknown_address(api, kind, hashes):
    known_account(kind)

    def log_in(email):
        hashes.clear()
        response = api.post("/api/v1/auth/login", {"email": email, "password": "not-it"})
        body = _without_timestamp(error_body(response, 401, "INVALID_CREDENTIALS"))
        return response.status_code, sorted(response.cookies), body, len(hashes)

    wrong_password = log_in(KNOWN)
    unknown = log_in(UNKNOWN)

    assert wrong_password == unknown
    assert unknown[-1] >= 1  # the hash ran for the unknown address too


# --- The timing bench ---------------------------------------------------------------


def test_the_timing_bench_measures_every_account_flow_for_both_kinds_of_address():
    # bench/test_enumeration.py runs it 30 times a flow with the real password
    # hasher; here once, so the bench keeps working as the flows change.
    from bench.enumeration import FLOWS, measure

    results = measure(n=1)

    assert list(results) == list(FLOWS)
    assert all(known > 0 and unknown > 0 for known, unknown in results.values())
