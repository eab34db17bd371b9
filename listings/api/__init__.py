"""The listings API: listings and their reports (listing.py), and the waiting
list of an event with its offers and raffles (waitlist.py)."""

from .listing import urlpatterns as listing_urls
from .waitlist import urlpatterns as waitlist_urls

urlpatterns = [*listing_urls, *waitlist_urls]
