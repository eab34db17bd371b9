from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.my_tickets, name="mine"),
    path("<int:ticket_id>/file/", views.ticket_file_download, name="file"),
]
