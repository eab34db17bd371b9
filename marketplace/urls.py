from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from events.sitemaps import SITEMAPS

from .health import health, live, ready
from .scrape import metrics
from .views import (
    accessibility_statement,
    favicon,
    language_set,
    privacy_notice,
    robots_txt,
    terms,
)

# Outside the language prefixes: machines' addresses, the admin and the API
# (whose messages follow Accept-Language, marketplace/i18n.py).
urlpatterns = [
    path("health", health, name="health"),
    path("health/ready", ready, name="health-ready"),
    path("health/live", live, name="health-live"),
    # Prometheus's scrape, behind METRICS_TOKEN (marketplace/scrape.py).
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon),
    path("robots.txt", robots_txt, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    # The staff admin (marketplace.admin_site), at ADMIN_URL.
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("marketplace.api_urls")),
    # The email provider's delivery webhooks (bounces, complaints): docs/operations.md.
    path("email/webhooks/", include("anymail.urls")),
    # The footer's language switcher (POST): the cookie, the account's language.
    path("language/", language_set, name="set-language"),
]

# The pages, under /nl/, /de/, /fr/, /es/ (English has no prefix).
urlpatterns += i18n_patterns(
    path("accessibility/", accessibility_statement, name="accessibility"),
    path("privacy/", privacy_notice, name="privacy-notice"),
    path("terms/", terms, name="terms"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("marketplace.privacy.urls")),
    path("", include("payments.urls")),
    path("", include("messaging.urls")),
    path("", include("listings.urls")),
    path("tickets/", include("tickets.urls")),
    path("", include("events.urls")),
    prefix_default_language=False,
)

# Under /api/ errors answer in the envelope; elsewhere, the site's pages.
handler404 = "marketplace.error_views.page_not_found"
handler500 = "marketplace.error_views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
