"""Reads of listings that the pages and the API share."""

from django.db.models import QuerySet

from marketplace.errors import NotFound

from .models import Listing


def listing_list_for_event(*, event) -> QuerySet[Listing]:
    """An event's tickets on sale, cheapest first."""
    return (
        Listing.objects.filter(ticket__event=event, status=Listing.Status.ACTIVE)
        .select_related("ticket", "seller")
        .order_by("price", "id")
    )


def listing_list_for_seller(*, seller) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(seller=seller)
        .select_related("ticket__event")
        .order_by("-created_at", "-id")
    )


def listing_get_active(*, listing_id: int) -> Listing:
    """A listing on sale; NotFound otherwise."""
    listing = (
        Listing.objects.filter(pk=listing_id, status=Listing.Status.ACTIVE)
        .select_related("ticket__event", "seller")
        .first()
    )
    if listing is None:
        raise NotFound("Listing not found.")
    return listing
