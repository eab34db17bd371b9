from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="list"),
    path("events/<int:event_id>/", views.event_detail, name="detail"),
    path("listings/<int:listing_id>/", views.listing_detail, name="listing"),
    path("how-it-works/", views.how_it_works, name="how"),
    path("organizer/events/", views.event_manage, name="manage"),
    path("organizer/events/new/", views.event_new, name="create"),
    path("organizer/events/<int:event_id>/edit/", views.event_edit, name="edit"),
]
