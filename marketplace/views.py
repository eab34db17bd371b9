from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.services import account_language_set


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's)."""
    return redirect(static("img/favicon.svg"), permanent=True)


def accessibility_statement(request):
    """The accessibility statement: the standard we aim for, how we test, what
    is known not to meet it yet, and whom to tell about a barrier."""
    context = {
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "reservation_minutes": settings.RESERVATION_MINUTES,
    }
    return render(request, "accessibility.html", context)


def _legal_context() -> dict:
    """Who runs Encore and the figures the privacy notice and terms quote."""
    return {
        "operator_name": settings.OPERATOR_NAME,
        "operator_address": settings.OPERATOR_ADDRESS,
        "operator_registration": settings.OPERATOR_REGISTRATION,
        "privacy_email": settings.PRIVACY_CONTACT_EMAIL,
        "support_email": settings.SUPPORT_CONTACT_EMAIL,
        "fee_percent": f"{(settings.PLATFORM_FEE_RATE * 100).normalize():f}",
        "reservation_minutes": settings.RESERVATION_MINUTES,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
        "dispute_hours": settings.DISPUTE_WINDOW_HOURS,
        "postponement_days": settings.POSTPONEMENT_REFUND_DAYS,
        "max_tickets": settings.MAX_TICKETS_PER_EVENT,
        "session_days": settings.JWT_SESSION_MAX_DAYS,
    }


def privacy_notice(request):
    """The privacy notice: what Encore keeps about a fan, why, for how long,
    who processes it for us, and the fan's rights (export, deletion)."""
    return render(request, "legal/privacy.html", _legal_context())


def terms(request):
    """The terms of use: resale under the price cap, fees, escrow and payout,
    disputes, and the law of each country Encore sells tickets for."""
    return render(request, "legal/terms.html", _legal_context())


# Pages that are someone's own, or not pages at all: nothing for a search engine.
ROBOTS_DISALLOW = (
    "/accounts/",
    "/api/",
    "/my/",
    "/checkout/",
    "/organizer/",
    "/tickets/",
    "/notifications/",
    "/profile/",
    "/waitlist/",
)


def robots_txt(request):
    """robots.txt: the public catalogue is open to crawlers; accounts, the API,
    checkout and fans' own pages are not; the sitemap's address. (The staff
    site's address, ADMIN_URL, is not written here: nothing links to it.)"""
    prefixes = [
        "",
        *(f"/{code}" for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE),
    ]
    paths = [prefix + path for prefix in prefixes for path in ROBOTS_DISALLOW]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in paths)]
    lines += ["", f"Sitemap: {settings.SITE_URL}/sitemap.xml"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def language_set(request):
    """The footer's language switcher: Django's set_language (the cookie, and
    back to the same page under the chosen language's prefix), and for a
    logged-in fan the account's language too, so emails follow.

    Without a CSRF token: the switcher sits on pages stored whole for
    visitors, which carry none. A forged post can only change the language,
    and never an account's: the session cookie (SameSite=Lax) is not sent
    with another site's post."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        account_language_set(user=request.user, language=language)
    # set_language finds the page `next` names under the active language: the
    # request's is English (no prefix here), so read it as the page's own.
    page_language = translation.get_language_from_path(request.POST.get("next", ""))
    with translation.override(page_language or settings.LANGUAGE_CODE):
        return set_language(request)
