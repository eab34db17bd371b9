from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("<int:ticket_id>/file/", views.ticket_file_download, name="file"),
]
