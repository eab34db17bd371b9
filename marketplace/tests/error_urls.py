"""The site's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.urls import path

from marketplace import urls as site_urls
from marketplace.core import errors


def forbidden(request):
    raise PermissionDenied


def boom(request):
    raise ZeroDivisionError("secret internals")


def database_gone(request):
    raise OperationalError("connection to server failed: secret internals")


def domain_error(request, kind: str):
    """Raises the domain error named in the path, as a service would."""
    raise {
        "not-found": errors.NotFound("Ticket 7 is not yours."),
        "forbidden": errors.PermissionDenied("Only the organizer can do this."),
        "refused": errors.ValidationFailed("The price is above the cap."),
        "outage": errors.ServiceUnavailable("Payments are unavailable."),
    }[kind]


urlpatterns = [
    path("test-domain/<str:kind>/", domain_error),
    path("test-forbidden/", forbidden),
    path("test-boom/", boom),
    path("api/test-boom/", boom),
    path("test-database-gone/", database_gone),
    path("api/test-database-gone/", database_gone),
    *site_urls.urlpatterns,
]

handler404 = site_urls.handler404
handler500 = site_urls.handler500
