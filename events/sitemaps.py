"""sitemap.xml: where search engines find Encore's public pages.

Every published event's page, with when it last changed, and the catalogue's
own pages. Drafts are never listed (nobody but their organizer may see them);
cancelled and completed events keep their pages but leave the sitemap. Served
by django.contrib.sitemaps (marketplace/urls.py), up to 50,000 addresses a
page, each page two queries (the count, the page). Each page is listed in
each of the site's languages, with the others as its alternates (hreflang).
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .selectors import event_list_for_sitemap


class EventSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.8
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return event_list_for_sitemap()

    def location(self, event):
        return reverse("events:detail", args=[event.pk])

    def lastmod(self, event):
        return event.updated_at


class CatalogueSitemap(Sitemap):
    """The pages every visitor starts from."""

    changefreq = "daily"
    priority = 0.5
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return ["events:home", "events:list", "events:how"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"events": EventSitemap, "catalogue": CatalogueSitemap}
