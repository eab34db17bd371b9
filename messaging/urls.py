from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.read_all, name="read-all"),
]
