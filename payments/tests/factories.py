import factory

from accounts.tests.factories import UserFactory
from listings.pricing import platform_fee_for
from listings.tests.factories import ListingFactory
from payments.models import Dispute, Payout, PayoutAccount, Transaction


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    listing = factory.SubFactory(ListingFactory)
    buyer = factory.SubFactory(UserFactory)
    seller = factory.SelfAttribute("listing.seller")
    final_price = factory.SelfAttribute("listing.price")
    platform_fee = factory.LazyAttribute(lambda o: platform_fee_for(o.final_price))
    seller_payout = factory.LazyAttribute(lambda o: o.final_price - o.platform_fee)
    currency = "EUR"
    status = Transaction.Status.PAID
    payment_status = Transaction.PaymentStatus.SUCCEEDED
    payment_method = "card"
    payment_id = factory.Sequence(lambda n: f"pi_test_{n:08d}")


class PayoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payout

    transaction = factory.SubFactory(TransactionFactory)
    seller = factory.SelfAttribute("transaction.seller")
    amount = factory.SelfAttribute("transaction.seller_payout")
    status = Payout.Status.HELD


class DisputeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispute

    transaction = factory.SubFactory(TransactionFactory)
    opened_by = factory.SelfAttribute("transaction.buyer")
    reason = Dispute.Reason.NOT_RECEIVED
    description = "The seller never sent the ticket."


class PayoutAccountFactory(factory.django.DjangoModelFactory):
    """Encore's copy of a connected account (no account at Stripe behind it:
    tests that transfer money onboard one, see stripe_helpers.seller_onboarded)."""

    class Meta:
        model = PayoutAccount

    user = factory.SubFactory(UserFactory)
    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:010d}")
    country = "IE"
    default_currency = "EUR"
    details_submitted = True
    payouts_enabled = True
    transfers_active = True
