"""The payments API: purchases and payments, disputes, payout accounts and payouts."""

from .payouts import URLS as PAYOUT_URLS
from .transactions import URLS as TRANSACTION_URLS

urlpatterns = [*TRANSACTION_URLS, *PAYOUT_URLS]
