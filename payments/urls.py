from django.urls import path

from .views import calendar, checkout, messages, payouts, sales, webhook

app_name = "payments"

urlpatterns = [
    path("payments/stripe/webhook/", webhook.stripe_webhook, name="stripe-webhook"),
    # Buying: reserve, pay with a card (and the bank's check), done.
    path("listings/<id:listing_id>/buy/", checkout.buy, name="buy"),
    path("checkout/<id:transaction_id>/", checkout.checkout, name="checkout"),
    path("checkout/<id:transaction_id>/pay/", checkout.pay, name="pay"),
    path(
        "checkout/<id:transaction_id>/authenticated/",
        checkout.authenticated,
        name="authenticated",
    ),
    path("checkout/<id:transaction_id>/cancel/", checkout.cancel, name="cancel"),
    path("checkout/<id:transaction_id>/extend/", checkout.extend, name="extend"),
    path("checkout/<id:transaction_id>/done/", checkout.checkout_done, name="checkout-done"),
    # After the sale.
    path("my/purchases/", sales.purchases, name="purchases"),
    path("my/sales/", sales.sales, name="sales"),
    path("my/transactions/<id:transaction_id>/", sales.transaction_detail, name="transaction"),
    path(
        "my/transactions/<id:transaction_id>/calendar.ics",
        calendar.transaction_calendar_file,
        name="transaction-calendar",
    ),
    path("my/transactions/<id:transaction_id>/confirm/", sales.confirm, name="confirm"),
    path("my/transactions/<id:transaction_id>/dispute/", sales.dispute, name="dispute"),
    path(
        "my/transactions/<id:transaction_id>/postponement-refund/",
        sales.postponement_refund,
        name="postponement-refund",
    ),
    path(
        "my/transactions/<id:transaction_id>/messages/",
        messages.message_send_page,
        name="message-send",
    ),
    # The seller's money.
    path("my/payouts/", payouts.my_payouts, name="payouts"),
    path(
        "my/payouts/account/return/",
        payouts.payout_account_return,
        name="payout-account-return",
    ),
    path(
        "my/payouts/account/refresh/",
        payouts.payout_account_refresh,
        name="payout-account-refresh",
    ),
]
