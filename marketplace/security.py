"""HTTP hardening shared by every page and the API.

- The Content-Security-Policy of CONTENT_SECURITY_POLICY (django-csp), plus the
  origins Stripe.js needs, worked out at each response from STRIPE_JS_URL and
  STRIPE_API_BASE: those are read when used, not when settings load, so a
  changed setting (e.g. the tests' localstripe on a port of its own) applies
  at once.
- img-src: the site, data: URIs, and the hosts of EVENT_IMAGE_HOSTS (read at
  each response too), plus the origins a page names in `csp_img_sources`.
- A Permissions-Policy header (PERMISSIONS_POLICY).
- Request bodies over REQUEST_BODY_MAX_BYTES refused with 413 before a byte
  of them is read: the envelope under /api/, the site's page elsewhere.
- Every answer of the API (/api/v1/) is "Cache-Control: private, no-store".
"""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from marketplace.core.api.envelope import error_body
from marketplace.core.image_hosts import image_host_sources

STRIPE_JS_ORIGIN = "https://js.stripe.com"
# Stripe's published needs for Stripe.js and Elements (docs.stripe.com,
# "Content Security Policy"): the script, its frames (card fields, 3-D Secure)
# and the API it calls from the browser.
REAL_STRIPE_SOURCES = {
    "script-src": [STRIPE_JS_ORIGIN, "https://*.js.stripe.com"],
    "frame-src": [STRIPE_JS_ORIGIN, "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}
# Stripe's hosted Connect onboarding. "Get paid" posts to Encore, which
# redirects there: the browser checks a form's redirect against form-action,
# so the page with that form (and only it) allows this origin.
STRIPE_CONNECT_ORIGIN = "https://connect.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def stripe_csp_sources(*, onboarding: bool = False) -> dict[str, list[str]]:
    """The sources the checkout's Stripe.js needs, per directive; with
    `onboarding`, also the hosted onboarding a form may redirect to.

    Real Stripe.js (from js.stripe.com) gets Stripe's documented origins. A
    stand-in (the local Stripe serves one at STRIPE_API_BASE when
    STRIPE_JS_URL is empty) is loaded from its own origin and calls the API
    there; it serves the stand-in onboarding page too.
    """
    js_origin = _origin(settings.STRIPE_JS_URL) or _origin(settings.STRIPE_API_BASE)
    api_origin = _origin(settings.STRIPE_API_BASE)
    if js_origin == STRIPE_JS_ORIGIN:
        sources = {directive: list(values) for directive, values in REAL_STRIPE_SOURCES.items()}
        connect_origin = STRIPE_CONNECT_ORIGIN
    else:
        sources = {"script-src": [js_origin], "connect-src": [js_origin]}
        if api_origin and api_origin != js_origin:
            sources["connect-src"].append(api_origin)
        connect_origin = api_origin
    if onboarding:
        sources["form-action"] = [
            _origin(settings.STRIPE_CONNECT_ORIGIN) or connect_origin,
        ]
    return {directive: [s for s in values if s] for directive, values in sources.items()}


API_CACHE_CONTROL = "private, no-store"


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "payment": ["self"]} -> 'camera=(), payment=(self)'."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


def request_too_large(request, limit: int):
    """The 413 answer: the envelope under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        body = error_body(
            "INVALID_INPUT",
            _("The request is too large."),
            {"reason": "REQUEST_TOO_LARGE", "max_bytes": limit},
        )
        return JsonResponse(body, status=413)
    context = {"max_megabytes": f"{limit / (1024 * 1024):.0f}"}
    return render(request, "413.html", context, status=413)


class SecurityMiddleware(CSPMiddleware):
    """django-csp's middleware, with the Stripe origins of the moment added to
    the policy, Permissions-Policy added to every response, and a request
    whose declared body exceeds REQUEST_BODY_MAX_BYTES refused with 413 before
    it is read: neither memory nor temporary files fill up with an upload
    that would be refused anyway. (Django reads no body without a declared
    length.)

    One middleware rather than three: each one deepens the call stack that
    the JSON parser's recursion limit shares with the request.
    """

    def process_request(self, request):
        super().process_request(request)
        declared = request.META.get("CONTENT_LENGTH") or ""
        limit = settings.REQUEST_BODY_MAX_BYTES
        if declared.isdigit() and int(declared) > limit:
            return request_too_large(request, limit)
        return None

    def process_response(self, request, response):
        response = super().process_response(request, response)
        policy = getattr(settings, "PERMISSIONS_POLICY", None)
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions_policy_header(policy)
        if request.path.startswith("/api/v1/"):
            # API answers are made for one caller (a profile, tokens, someone's
            # tickets): no browser or shared cache may keep one.
            response["Cache-Control"] = API_CACHE_CONTROL
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        update = dict(parts.update or {})
        onboarding = getattr(response, "stripe_onboarding", False)
        added = stripe_csp_sources(onboarding=onboarding)
        # Pictures given by address come from EVENT_IMAGE_HOSTS only; a page may
        # add the origin of one picture it shows (response.csp_img_sources).
        added["img-src"] = [
            # Uploaded pictures served from elsewhere (MEDIA_URL on a bucket or CDN).
            *([_origin(settings.MEDIA_URL)] if _origin(settings.MEDIA_URL) else []),
            *image_host_sources(getattr(settings, "EVENT_IMAGE_HOSTS", [])),
            *getattr(response, "csp_img_sources", []),
        ]
        for directive, sources in added.items():
            current = update.get(directive) or []
            current = [current] if isinstance(current, str) else list(current)
            update[directive] = current + sources
        parts.update = update
        return parts
