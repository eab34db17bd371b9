from django.urls import path

from marketplace.api import base  # noqa: F401 (registers the "id" path converter)

from . import views

app_name = "messaging"

urlpatterns = [
    path("my/transactions/<id:transaction_id>/messages/", views.send, name="send"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.read_all, name="read-all"),
]
