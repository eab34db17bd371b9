from django.urls import path

from .views import listing as views
from .views import raffles as raffle_views
from .views import waitlist as waitlist_views

app_name = "listings"

urlpatterns = [
    path("events/<id:event_id>/waitlist/", waitlist_views.waitlist_join, name="waitlist-join"),
    path(
        "events/<id:event_id>/waitlist/leave/",
        waitlist_views.waitlist_leave,
        name="waitlist-leave",
    ),
    path("my/waitlists/", waitlist_views.my_waitlists, name="waitlist-mine"),
    path("waitlist/offers/<id:offer_id>/", waitlist_views.waitlist_offer, name="waitlist-offer"),
    path(
        "waitlist/offers/<id:offer_id>/decline/",
        waitlist_views.waitlist_offer_decline,
        name="waitlist-offer-decline",
    ),
    path(
        "organizer/events/<id:event_id>/raffle/",
        raffle_views.waitlist_raffle_open,
        name="waitlist-raffle",
    ),
    path("listings/<id:listing_id>/", views.listing_detail, name="detail"),
    path("listings/<id:listing_id>/report/", views.listing_report, name="report"),
    path("sell/", views.sell, name="sell"),
    path("sell/<id:event_id>/", views.sell_event, name="sell-event"),
    path("sell/<id:event_id>/price-range/", views.price_range, name="price-range"),
    path("my/tickets/<id:ticket_id>/list/", views.list_ticket, name="list-ticket"),
    path("my/listings/", views.my_listings, name="mine"),
    path("my/listings/<id:listing_id>/price/", views.listing_price, name="price"),
    path("my/listings/<id:listing_id>/cancel/", views.listing_cancel_view, name="cancel"),
    path(
        "my/listings/reports/<id:report_id>/appeal/",
        views.listing_report_appeal_view,
        name="report-appeal",
    ),
]
