"""The site's URLs plus two views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from marketplace import urls as site_urls


def forbidden(request):
    raise PermissionDenied


def boom(request):
    raise ZeroDivisionError("secret internals")


urlpatterns = [
    path("test-forbidden/", forbidden),
    path("test-boom/", boom),
    path("api/test-boom/", boom),
    *site_urls.urlpatterns,
]

handler404 = site_urls.handler404
handler500 = site_urls.handler500
