"""The listings pages: a listing, selling, My listings (listing.py); the
waiting list, its offers and raffles (waitlist.py)."""
