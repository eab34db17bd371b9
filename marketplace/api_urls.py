from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from .error_views import api_not_found

# The schema and its docs page are public and cheap: no token, no rate limit.
PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": []}

v1 = [
    path("", include("accounts.api")),
    path("", include("events.api")),
    path("", include("tickets.api")),
    path("", include("listings.api")),
    path("", include("payments.api")),
    path("", include("messaging.api")),
    path("", include("marketplace.privacy.api")),
    path("schema/", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="api")),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", **PUBLIC),
        name="api-docs",
    ),
    # Anything else under /api/ answers 404 in the envelope, not an HTML page.
    re_path(r"^.*$", api_not_found),
]
