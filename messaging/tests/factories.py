import factory

from messaging.models import Email, Message, Notification
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


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Email

    to = factory.Sequence(lambda n: f"fan{n}@example.com")
    subject = "Your ticket is ready"
    body = "Hi there,\n\nYour ticket is in your Encore account.\n\nEncore\n"
