from django.urls import path

from . import pages, views

app_name = "payments"

urlpatterns = [
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    # Buying: reserve, pay with a card, done.
    path("listings/<id:listing_id>/buy/", pages.buy, name="buy"),
    path("checkout/<id:transaction_id>/", pages.checkout, name="checkout"),
    path("checkout/<id:transaction_id>/pay/", pages.pay, name="pay"),
    path("checkout/<id:transaction_id>/done/", pages.checkout_done, name="checkout-done"),
    # After the sale.
    path("my/purchases/", pages.purchases, name="purchases"),
    path("my/sales/", pages.sales, name="sales"),
    path("my/transactions/<id:transaction_id>/", pages.transaction_detail, name="transaction"),
    path("my/transactions/<id:transaction_id>/confirm/", pages.confirm, name="confirm"),
    path("my/transactions/<id:transaction_id>/dispute/", pages.dispute, name="dispute"),
]
