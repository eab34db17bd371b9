from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("profile/data/", views.data_export, name="data-export"),
    path("profile/delete/", views.account_delete_page, name="account-delete"),
]
