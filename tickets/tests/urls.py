"""The site's URLs plus the tickets app's, as marketplace/urls.py will include them."""

from django.urls import include, path

from marketplace.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("tickets/", include("tickets.urls")), *site_urlpatterns]
