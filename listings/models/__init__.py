"""The listings app's tables: listings and their reports (listing.py), and the
waiting list of an event with its offers and raffles (waitlist.py)."""

from .listing import Listing, ListingReport
from .waitlist import WaitlistEntry, WaitlistOffer, WaitlistRaffle

__all__ = ["Listing", "ListingReport", "WaitlistEntry", "WaitlistOffer", "WaitlistRaffle"]
