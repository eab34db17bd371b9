from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static


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
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines += ["", f"Sitemap: {settings.SITE_URL}/sitemap.xml"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
