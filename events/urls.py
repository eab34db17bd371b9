from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="list"),
    path("events/<id:event_id>/", views.event_detail, name="detail"),
    path("how-it-works/", views.how_it_works, name="how"),
    path("organizer/events/", views.event_manage, name="manage"),
    path("organizer/events/new/", views.event_new, name="create"),
    path("organizer/events/<id:event_id>/edit/", views.event_edit, name="edit"),
]
