from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.my_tickets, name="mine"),
    path("<id:ticket_id>/file/", views.ticket_file_download, name="file"),
    path("<id:ticket_id>/transfer/", views.ticket_transfer_page, name="transfer"),
    path(
        "<id:ticket_id>/transfer/cancel/",
        views.ticket_transfer_cancel_page,
        name="transfer-cancel",
    ),
    path("claim/<str:code>/", views.ticket_claim_page, name="claim"),
]
