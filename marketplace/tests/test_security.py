"""The security headers every answer carries: the Content-Security-Policy (with
the Stripe origins of the moment), Permissions-Policy, the opener, referrer,
framing and sniffing policies, and the cookies' flags. The browser tests
(browser/test_security.py) show Chromium enforcing the policy."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from listings.tests.factories import ListingFactory
from marketplace.testing import free_port
from payments.services import transaction_purchase

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)

# One page of each kind: the site, allauth's pages, the checkout's neighbours,
# the API and its docs, the admin, error pages, health.
PATHS = [
    "/",
    "/events/",
    "/how-it-works/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/api/docs/",
    "/api/v1/events",
    "/api/v1/nothing-here",
    "/admin/login/",
    "/no-such-page/",
    "/health",
]


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def script_sources(response) -> list[str]:
    directives = policy(response)
    return directives.get("script-src", directives["default-src"])


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_strict_policy(client, path):
    response = client.get(path)

    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["style-src"] == ["'self'"]
    # An injected inline script, event handler or eval() is refused: no
    # 'unsafe-inline', 'unsafe-eval', 'unsafe-hashes' or wildcard for scripts.
    for source in script_sources(response):
        assert source not in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")
        assert source.startswith(("'self'", "'nonce-", "http://127.0.0.1:", "https://"))
    # Pictures by address come from EVENT_IMAGE_HOSTS only (none by default).
    assert directives["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_other_security_headers(client, path):
    response = client.get(path)

    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), usb=()"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    # drf-spectacular's docs page opts out for Swagger's OAuth pop-up.
    expected_opener = "unsafe-none" if path == "/api/docs/" else "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == expected_opener


def test_the_policy_allows_the_stripe_js_the_checkout_loads(client):
    # given a buyer at the checkout, with the tests' localstripe on its own port
    listing = ListingFactory(price=Decimal("55.00"))
    buyer = UserFactory()
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    client.force_login(buyer)

    response = client.get(reverse("payments:checkout", args=[txn.pk]))

    # then the script the page loads from localstripe is allowed, and so is
    # the API it calls from the browser
    html = response.content.decode()
    stripe_js = re.search(r'<script src="(http://127\.0\.0\.1:\d+)/js\.stripe\.com/v3/"', html)
    assert stripe_js, html
    origin = stripe_js.group(1)
    assert origin == settings.STRIPE_API_BASE
    assert origin in script_sources(response)
    assert origin in policy(response)["connect-src"]


def test_the_stripe_origins_follow_the_settings_of_the_moment(client, settings):
    # The settings change after startup (as the tests' localstripe does).
    settings.STRIPE_JS_URL = ""
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    directives = policy(client.get("/"))

    assert settings.STRIPE_API_BASE in directives["script-src"]
    assert settings.STRIPE_API_BASE in directives["connect-src"]
    assert directives["frame-src"] == ["'self'"]


def test_with_real_stripe_js_the_policy_has_stripes_published_origins(client, settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"

    directives = policy(client.get("/"))

    assert directives["script-src"] == [
        "'self'",
        "https://js.stripe.com",
        "https://*.js.stripe.com",
    ]
    assert directives["frame-src"] == [
        "'self'",
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert directives["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert not any("127.0.0.1" in s for sources in directives.values() for s in sources)


def test_the_api_docs_inline_script_carries_the_nonce_of_its_policy(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    (nonce,) = re.findall(r'<script nonce="([^"]+)">', html)
    assert f"'nonce-{nonce}'" in script_sources(response)
    # Every other script of the page is a file; no inline style remains.
    assert len(re.findall(r"<script(?![^>]*\b(?:src|nonce)=)[^>]*>", html)) == 0
    assert "<style" not in html and "style=" not in html
    assert (
        client.get("/api/docs/")["Content-Security-Policy"] != response["Content-Security-Policy"]
    )  # a fresh nonce per answer


def test_a_page_without_an_inline_script_gets_no_nonce(client):
    assert not any(s.startswith("'nonce-") for s in script_sources(client.get("/")))


def test_the_admin_pages_carry_the_policy_and_no_inline_style(client):
    client.force_login(StaffFactory())

    for path in ("/admin/", "/admin/marketplace/auditlog/", "/admin/accounts/user/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["style-src"] == ["'self'"]
        html = response.content.decode()
        assert "<style" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path


# Everything the site renders must work under the policy: no inline script,
# no inline style, no event-handler attribute, no javascript: link. A JSON-LD
# block (the event page's schema.org data) is data the browser never runs.
INLINE = re.compile(
    r"<script(?![^>]*\b(?:src|nonce)=)(?![^>]*\btype=\"application/ld\+json\")[^>]*>"
    # (above: a script without a file, a nonce or the JSON-LD type)
    r"|<style\b"  # a style element
    r"|\sstyle=\""  # a style attribute
    r"|\son[a-z]+=\""  # onclick=, onload=...
    r"|=\"\s*javascript:",  # a javascript: link
    re.IGNORECASE,
)


# Emails are read in mail programs, not under the site's policy: they may (and,
# for most mail programs, must) carry their styles inline; never a script.
EMAIL_TEMPLATES = ("templates/emails/", "templates/account/email/", "templates/mfa/email/")
INLINE_SCRIPT = re.compile(
    r"<script\b|\son[a-z]+=\"|=\"\s*javascript:",
    re.IGNORECASE,
)


def test_no_template_of_the_site_has_inline_script_or_style():
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        path = str(template.relative_to(ROOT))
        check = INLINE_SCRIPT if path.startswith(EMAIL_TEMPLATES) else INLINE
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if check.search(line):
                offenders.append(f"{path}:{number}: {line.strip()}")

    assert offenders == []


def test_the_inline_check_catches_what_it_looks_for():
    for sample in (
        "<script>alert(1)</script>",
        '<div style="color: red">',
        "<style>p {}</style>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">',
    ):
        assert INLINE.search(sample), sample
    for sample in (
        '<script src="/static/js/sell.js" defer></script>',
        '<script nonce="{{ n }}">',
        '<script type="application/ld+json">{{ share.json_ld }}</script>',
    ):
        assert not INLINE.search(sample), sample
    assert INLINE.search('<script type="text/javascript">alert(1)</script>')


# --- Cookies ---------------------------------------------------------------------------


def test_the_session_and_csrf_cookies_are_out_of_reach_of_scripts():
    client = Client()
    user = UserFactory()
    client.get("/accounts/login/")

    client.post("/accounts/login/", {"login": user.email, "password": "correct-horse-battery"})

    session = client.cookies[settings.SESSION_COOKIE_NAME]
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert session["httponly"] and csrf["httponly"]
    assert session["samesite"] == "Lax" and csrf["samesite"] == "Lax"
