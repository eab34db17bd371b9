from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from marketplace.devtools.localstripe import localstripe_register_webhook
from tickets.tests.factories import TicketFactory


@pytest.fixture
def buyer():
    return UserFactory(email="buyer@example.com")


@pytest.fixture
def seller():
    return UserFactory(email="seller@example.com")


@pytest.fixture
def event():
    return EventFactory(name="Fontaines D.C.", category="concert")


@pytest.fixture
def listing(seller, event):
    ticket = TicketFactory(event=event, owner=seller, face_value=Decimal("50.00"), status="listed")
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal("55.00"))


@pytest.fixture
def stripe_webhooks(live_server, settings):
    """The local Stripe delivers its webhooks, signed, to this test's live
    server, as Stripe does in production (a test using it needs
    django_db(transaction=True): the server reads what the test wrote)."""
    url = live_server.url + reverse("payments:stripe-webhook")
    name = "encore-tests"
    localstripe_register_webhook(
        base_url=settings.STRIPE_API_BASE,
        url=url,
        secret=settings.STRIPE_WEBHOOK_SECRET,
        name=name,
    )
    yield url
    # Deliveries to a stopped test server would only fail; point them nowhere useful.
    localstripe_register_webhook(
        base_url=settings.STRIPE_API_BASE,
        url="http://127.0.0.1:9/",
        secret=settings.STRIPE_WEBHOOK_SECRET,
        name=name,
    )
