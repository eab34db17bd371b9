import factory

from messaging.models import Message, Notification
from payments.tests.factories import TransactionFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    transaction = factory.SubFactory(TransactionFactory)
    sender = factory.SelfAttribute("transaction.buyer")
    body = "Hi, when will you send the ticket?"


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory("accounts.tests.factories.UserFactory")
    type = Notification.Type.PURCHASE
    payload = factory.Dict({"transaction_id": 1})
