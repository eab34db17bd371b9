"""The authorization matrix: every route and method of the API, called as
anonymous, as an unrelated user, as the owner or party, as an unrelated
organizer and as staff, against the status each must get (OWASP API1 and API5:
no object-level leak). One table; a test fails if a route is missing from it.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.services import email_verification_token
from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import listing_create
from listings.tests.factories import ListingFactory
from listings.waitlist.entries import waitlist_join
from listings.waitlist.offers import waitlist_pass_on
from messaging.models import Email
from messaging.tests.factories import MessageFactory
from payments.services import transaction_purchase
from payments.tests.factories import TransactionFactory
from tickets.models import Ticket
from tickets.services import ticket_transfer
from tickets.tests.factories import TicketFactory
from tickets.tests.files import pdf_upload

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other", "owner", "organizer", "staff")


class World:
    """The objects every case acts on; `owner` is whoever owns the one in question."""

    def __init__(self):
        self.event_owner = OrganizerFactory()
        self.seller = UserFactory()
        self.buyer = UserFactory()
        self.other = UserFactory()
        self.organizer = OrganizerFactory()
        self.staff = StaffFactory()
        self.event = EventFactory(organizer=self.event_owner)
        self.draft = EventFactory(organizer=self.event_owner, status=Event.Status.DRAFT)
        # On sale: a listing of the seller's.
        self.listing = ListingFactory(
            ticket=TicketFactory(event=self.event, owner=self.seller, status="listed"),
            seller=self.seller,
        )
        self.cancelled = ListingFactory(
            ticket=TicketFactory(event=self.event, owner=self.seller),
            seller=self.seller,
            status=Listing.Status.CANCELLED,
        )
        # In the seller's hands, not listed.
        self.ticket = TicketFactory(event=self.event, owner=self.seller)
        # Sold to the buyer, paid and in escrow, with a message from the seller.
        sold = ListingFactory(
            ticket=TicketFactory(event=self.event, owner=self.buyer, status=Ticket.Status.SOLD),
            seller=self.seller,
            status=Listing.Status.SOLD,
            price=Decimal("50.00"),
        )
        self.paid = TransactionFactory(listing=sold, buyer=self.buyer)
        self.message = MessageFactory(transaction=self.paid, sender=self.seller)
        # Offered by the seller to the buyer's address, waiting to be claimed.
        self.held = TicketFactory(event=self.event, owner=self.seller)
        ticket_transfer(owner=self.seller, ticket=self.held, recipient_email=self.buyer.email)
        offer_email = Email.objects.filter(to=self.buyer.email).latest("id")
        self.claim_code = re.search(r"/tickets/claim/([\w-]+)/", offer_email.body).group(1)
        self._pending = None
        self._offer = None
        self._counter = 0

    @property
    def pending(self):
        """A purchase of the buyer's awaiting payment (a real PaymentIntent)."""
        if self._pending is None:
            listing = ListingFactory(
                ticket=TicketFactory(event=self.event, owner=self.seller, status="listed"),
                seller=self.seller,
            )
            self._pending = transaction_purchase(
                buyer=self.buyer, listing_id=listing.pk
            ).transaction
        return self._pending

    @property
    def offer(self):
        """A ticket of the event held from its waiting list for `fan` (who waits
        for two), made when a route first asks for it."""
        if self._offer is None:
            fan = UserFactory()
            waitlist_join(fan=fan, event=self.event, quantity=2)
            seller = UserFactory()
            ticket = TicketFactory(event=self.event, owner=seller, face_value=Decimal("50.00"))
            listing = listing_create(seller=seller, ticket=ticket, price=Decimal("55.00"))
            # Passed on now rather than after the test's transaction commits.
            self._offer = waitlist_pass_on(listing_id=listing.pk)
        return self._offer

    @property
    def fan(self):
        return self.offer.entry.fan

    def user(self, role: str, owner: str):
        return {
            "anonymous": None,
            "other": self.other,
            "owner": getattr(self, owner) if owner else None,
            "organizer": self.organizer,
            "staff": self.staff,
        }[role]

    def unique(self) -> int:
        self._counter += 1
        return self._counter


def _upload(world, user):
    # A ticket of its own each time: its barcode as a QR code in the file.
    return {
        "event_id": world.event.pk,
        "face_value": "40.00",
        "file": pdf_upload(f"MATRIX-{world.unique():06d}", name="t.pdf"),
    }


def _refresh(world, user):
    return {"refresh": str(RefreshToken.for_user(user)) if user else "not-a-token"}


@dataclass(frozen=True)
class Route:
    method: str
    name: str  # the URL name under the "api" namespace
    path: str  # formatted with the World
    expected: dict  # role -> status
    owner: str = ""  # the World attribute that plays "owner"
    body: object = None  # dict, or callable(world, user) -> dict
    multipart: bool = False
    extra: dict = field(default_factory=dict)

    def call(self, world: World, role: str):
        user = world.user(role, self.owner)
        client = APIClient()
        if user is not None:
            token = RefreshToken.for_user(user).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        body = self.body(world, user) if callable(self.body) else self.body
        path = self.path.format(w=world)
        return getattr(client, self.method.lower())(
            path, body, format="multipart" if self.multipart else "json"
        )


def every(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status, anonymous=401):
    return {**every(status), "anonymous": anonymous}


def only(owner_status, staff=None, anonymous=401, others=404):
    return {
        "anonymous": anonymous,
        "other": others,
        "owner": owner_status,
        "organizer": others,
        "staff": staff if staff is not None else others,
    }


LOGIN = {"email": "", "password": "correct-horse-battery"}
ROUTES = [
    # --- auth: the credentials are in the body, whoever calls -------------------
    Route(
        "POST",
        "auth-register",
        "/api/v1/auth/register",
        every(202),
        body=lambda w, u: {
            "email": f"new{w.unique()}@example.com",
            "password": "a-long-pass-phrase-9",
        },
    ),
    Route(
        "POST",
        "auth-login",
        "/api/v1/auth/login",
        every(200),
        body=lambda w, u: {**LOGIN, "email": w.seller.email},
    ),
    Route(
        "POST",
        "auth-refresh",
        "/api/v1/auth/refresh",
        signed_in(200),
        owner="seller",
        body=_refresh,
    ),
    Route(
        "POST", "auth-logout", "/api/v1/auth/logout", signed_in(200), owner="seller", body=_refresh
    ),
    # --- users ----------------------------------------------------------------
    Route("GET", "users", "/api/v1/users", {**signed_in(403), "staff": 200}, owner="seller"),
    Route("GET", "users-detail", "/api/v1/users/{w.seller.public_id}", every(200), owner="seller"),
    Route("GET", "users-profile", "/api/v1/users/profile", signed_in(200), owner="seller"),
    Route(
        "PATCH",
        "users-profile",
        "/api/v1/users/profile",
        signed_in(200),
        owner="seller",
        body={"name": "New name", "role": "admin"},
    ),
    Route(
        "PUT",
        "users-profile",
        "/api/v1/users/profile",
        signed_in(200),
        owner="seller",
        body={"name": "New name", "status": "active"},
    ),
    # How each account sells (DSA Art. 30): its own declaration only.
    Route(
        "GET",
        "users-profile-trader",
        "/api/v1/users/profile/trader",
        signed_in(200),
        owner="seller",
    ),
    Route(
        "PUT",
        "users-profile-trader",
        "/api/v1/users/profile/trader",
        signed_in(200),
        owner="seller",
        body={"kind": "private", "status": "approved"},
    ),
    # The fan's data: each account's own. The seller has a sale in escrow, so
    # their account cannot be deleted yet; the others have nothing in escrow.
    Route("GET", "users-me-export", "/api/v1/users/me/export", signed_in(200), owner="seller"),
    Route(
        "DELETE",
        "users-me",
        "/api/v1/users/me",
        {**signed_in(204), "owner": 409},
        owner="seller",
        body={"password": "correct-horse-battery"},
    ),
    Route(
        "POST",
        "users-verify",
        "/api/v1/users/verify",
        every(200),
        body=lambda w, u: {"token": email_verification_token(user=w.seller)},
    ),
    # --- events ---------------------------------------------------------------
    Route("GET", "events", "/api/v1/events", every(200)),
    Route(
        "POST",
        "events",
        "/api/v1/events",
        {"anonymous": 401, "other": 403, "owner": 201, "organizer": 201, "staff": 201},
        owner="event_owner",
        body={
            "name": "New night",
            "event_date": "2031-05-01",
            "venue_name": "Vicar St",
            "city": "Dublin",
            "country": "IE",
            "organizer": 1,
        },
    ),
    Route("GET", "events-detail", "/api/v1/events/{w.event.pk}", every(200)),
    Route(
        "GET",
        "events-detail",
        "/api/v1/events/{w.draft.pk}",
        only(200, staff=200, anonymous=404),
        owner="event_owner",
    ),
    Route(
        "PATCH",
        "events-detail",
        "/api/v1/events/{w.event.pk}",
        only(200, staff=200, others=403),
        owner="event_owner",
        body={"name": "Renamed"},
    ),
    Route(
        "PUT",
        "events-detail",
        "/api/v1/events/{w.event.pk}",
        only(200, staff=200, others=403),
        owner="event_owner",
        body={"name": "Renamed"},
    ),
    Route(
        "PATCH",
        "events-detail",
        "/api/v1/events/{w.draft.pk}",
        only(200, staff=200),
        owner="event_owner",
        body={"name": "Renamed"},
    ),
    # --- tickets: their owner only, staff included in "others" (rule 10) ---------
    Route("GET", "tickets", "/api/v1/tickets", signed_in(200), owner="seller"),
    Route("GET", "tickets-detail", "/api/v1/tickets/{w.ticket.pk}", only(200), owner="seller"),
    Route(
        "POST",
        "tickets-upload",
        "/api/v1/tickets/upload",
        signed_in(201),
        owner="seller",
        body=_upload,
        multipart=True,
    ),
    Route(
        "POST",
        "tickets-transfer",
        "/api/v1/tickets/{w.ticket.pk}/transfer",
        only(202),
        owner="seller",
        body=lambda w, u: {"recipient_email": w.buyer.email},
    ),
    # A ticket of the seller's offered to the buyer: taken back by the seller,
    # claimed by the buyer (whose address it was sent to) and nobody else.
    Route(
        "DELETE",
        "tickets-transfer",
        "/api/v1/tickets/{w.held.pk}/transfer",
        only(200),
        owner="seller",
    ),
    Route(
        "POST",
        "tickets-claim",
        "/api/v1/tickets/claim",
        {**signed_in(403), "owner": 200},
        owner="buyer",
        body=lambda w, u: {"code": w.claim_code},
    ),
    Route("GET", "tickets-file", "/api/v1/tickets/{w.ticket.pk}/file", only(200), owner="seller"),
    Route(
        "GET",
        "tickets-file",
        "/api/v1/tickets/{w.paid.listing.ticket_id}/file",
        only(200),
        owner="buyer",
    ),
    # --- listings -------------------------------------------------------------
    Route("GET", "listings", "/api/v1/listings", every(200)),
    Route(
        "POST",
        "listings",
        "/api/v1/listings",
        only(201),
        owner="seller",
        body=lambda w, u: {"ticket_id": w.ticket.pk, "price": "55.00", "seller": 1},
    ),
    Route("GET", "listings-detail", "/api/v1/listings/{w.listing.pk}", every(200)),
    # A withdrawn listing: its seller and staff see it; anyone else learns it is gone.
    Route(
        "GET",
        "listings-detail",
        "/api/v1/listings/{w.cancelled.pk}",
        only(200, staff=200, anonymous=410, others=410),
        owner="seller",
    ),
    Route(
        "PUT",
        "listings-detail",
        "/api/v1/listings/{w.listing.pk}",
        only(200),
        owner="seller",
        body={"price": "52.00"},
    ),
    Route(
        "PATCH",
        "listings-detail",
        "/api/v1/listings/{w.listing.pk}",
        only(200),
        owner="seller",
        body={"price": "52.00"},
    ),
    Route(
        "DELETE",
        "listings-detail",
        "/api/v1/listings/{w.listing.pk}",
        only(200, staff=200),
        owner="seller",
    ),
    # Anyone reports (a visitor with an email address); not the seller's own.
    Route(
        "POST",
        "listings-report",
        "/api/v1/listings/{w.listing.pk}/report",
        {**every(201), "owner": 400},
        owner="seller",
        body={"reason": "speculative", "email": "fan@example.com"},
    ),
    # --- the waiting list: anyone sees the line; each fan acts on their own ----
    Route("GET", "events-waitlist", "/api/v1/events/{w.event.pk}/waitlist", every(200)),
    Route(
        "GET",
        "events-waitlist",
        "/api/v1/events/{w.draft.pk}/waitlist",
        only(200, staff=200, anonymous=404),
        owner="event_owner",
    ),
    # The buyer holds one ticket of the event and waits for a second.
    Route(
        "POST",
        "events-waitlist",
        "/api/v1/events/{w.event.pk}/waitlist",
        signed_in(201),
        owner="buyer",
        body={"quantity": 2},
    ),
    # A draft: not found but by its organizer and staff, for whom it is not on sale.
    Route(
        "POST",
        "events-waitlist",
        "/api/v1/events/{w.draft.pk}/waitlist",
        only(400, staff=400),
        owner="event_owner",
        body={"quantity": 2},
    ),
    Route(
        "DELETE",
        "events-waitlist",
        "/api/v1/events/{w.offer.listing.ticket.event_id}/waitlist",
        only(200),
        owner="fan",
    ),
    Route("GET", "waitlist", "/api/v1/waitlist", signed_in(200), owner="fan"),
    Route(
        "GET",
        "waitlist-offers-detail",
        "/api/v1/waitlist/offers/{w.offer.pk}",
        only(200),
        owner="fan",
    ),
    Route(
        "POST",
        "waitlist-offers-decline",
        "/api/v1/waitlist/offers/{w.offer.pk}/decline",
        only(200),
        owner="fan",
    ),
    Route(
        "POST",
        "events-waitlist-raffles",
        "/api/v1/events/{w.event.pk}/waitlist/raffles",
        only(201, staff=201, others=403),
        owner="event_owner",
        body={"minutes": 10},
    ),
    Route(
        "POST",
        "events-waitlist-raffles",
        "/api/v1/events/{w.draft.pk}/waitlist/raffles",
        only(400, staff=400),
        owner="event_owner",
        body={"minutes": 10},
    ),
    # --- transactions: the buyer acts; the seller and staff see ----------------
    Route("GET", "transactions", "/api/v1/transactions", signed_in(200), owner="buyer"),
    Route(
        "GET",
        "transactions-detail",
        "/api/v1/transactions/{w.paid.pk}",
        only(200, staff=200),
        owner="buyer",
    ),
    Route(
        "GET",
        "transactions-detail",
        "/api/v1/transactions/{w.paid.pk}",
        only(200, staff=200),
        owner="seller",
    ),
    Route(
        "POST",
        "transactions-purchase",
        "/api/v1/transactions/purchase",
        {**signed_in(201), "owner": 403},
        owner="seller",
        body=lambda w, u: {"listingId": w.listing.pk, "paymentMethod": "credit_card"},
    ),
    Route(
        "POST",
        "transactions-pay",
        "/api/v1/transactions/{w.pending.pk}/pay",
        only(200),
        owner="buyer",
        body={"payment_method_id": "pm_card_visa"},
    ),
    Route(
        "POST",
        "transactions-pay",
        "/api/v1/transactions/{w.pending.pk}/pay",
        only(403),
        owner="seller",
        body={"payment_method_id": "pm_card_visa"},
    ),
    # The buyer passes the authorization and gets the rule's answer: more than 3
    # minutes are left (payments/tests/test_reservation_extend.py extends).
    Route(
        "POST",
        "transactions-extend",
        "/api/v1/transactions/{w.pending.pk}/extend",
        only(400),
        owner="buyer",
    ),
    Route(
        "POST",
        "transactions-extend",
        "/api/v1/transactions/{w.pending.pk}/extend",
        only(403),
        owner="seller",
    ),
    # The event has not moved: the buyer passes the authorization and gets the
    # rule's answer (payments/tests/test_event_moved.py refunds after a move).
    Route(
        "POST",
        "transactions-postponement-refund",
        "/api/v1/transactions/{w.paid.pk}/postponement-refund",
        only(400),
        owner="buyer",
    ),
    Route(
        "POST",
        "transactions-postponement-refund",
        "/api/v1/transactions/{w.paid.pk}/postponement-refund",
        only(403),
        owner="seller",
    ),
    Route(
        "POST",
        "transactions-confirm",
        "/api/v1/transactions/{w.paid.pk}/confirm",
        only(200),
        owner="buyer",
    ),
    Route(
        "POST",
        "transactions-confirm",
        "/api/v1/transactions/{w.paid.pk}/confirm",
        only(403),
        owner="seller",
    ),
    Route(
        "POST",
        "transactions-dispute",
        "/api/v1/transactions/{w.paid.pk}/dispute",
        only(201),
        owner="buyer",
        body={"reason": "not_received", "description": "Nothing came."},
    ),
    Route(
        "POST",
        "transactions-dispute",
        "/api/v1/transactions/{w.paid.pk}/dispute",
        only(403),
        owner="seller",
        body={"reason": "not_received", "description": "Nothing came."},
    ),
    # --- payouts: each seller's own --------------------------------------------------
    Route("GET", "payout-account", "/api/v1/users/payout-account", signed_in(200), owner="seller"),
    Route(
        "POST",
        "payout-account",
        "/api/v1/users/payout-account",
        signed_in(200),
        owner="seller",
        body={"country": "IE"},
    ),
    Route("GET", "payouts", "/api/v1/payouts", signed_in(200), owner="seller"),
    # --- messages: the parties write; staff read ----------------------------------
    Route(
        "GET",
        "messages-thread",
        "/api/v1/messages/{w.paid.pk}",
        only(200, staff=200),
        owner="buyer",
    ),
    Route(
        "POST",
        "messages",
        "/api/v1/messages",
        only(201),
        owner="buyer",
        body=lambda w, u: {"transaction_id": w.paid.pk, "body": "Thanks!"},
    ),
    Route(
        "POST",
        "messages",
        "/api/v1/messages",
        only(201),
        owner="seller",
        body=lambda w, u: {"transaction_id": w.paid.pk, "body": "Enjoy the show"},
    ),
    Route(
        "POST", "messages-read", "/api/v1/messages/{w.message.pk}/read", only(200), owner="buyer"
    ),
    Route("PUT", "messages-read", "/api/v1/messages/{w.message.pk}/read", only(200), owner="buyer"),
    # The sender does not mark their own message read.
    Route(
        "POST", "messages-read", "/api/v1/messages/{w.message.pk}/read", only(404), owner="seller"
    ),
    # --- the schema is public ---------------------------------------------------------
    Route("GET", "schema", "/api/v1/schema/", every(200)),
]

CASES = [
    pytest.param(route, role, id=f"{route.method} {route.path} [{route.owner or '-'}] as {role}")
    for route in ROUTES
    for role in ROLES
]


@pytest.mark.parametrize(("route", "role"), CASES)
def test_authorization_matrix(route, role, django_capture_on_commit_callbacks):
    world = World()
    with django_capture_on_commit_callbacks(execute=True):
        response = route.call(world, role)

    assert response.status_code == route.expected[role], (
        response.json() if response.get("Content-Type") == "application/json" else response
    )
    if response.status_code in (401, 403, 404, 410):
        # Refusals never show the object; they say only what went wrong.
        body = response.json()
        assert body["success"] is False and "data" not in body


def _api_routes():
    """(url name, method) of every view under the API's namespace."""
    found = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace == "api":
                view = pattern.callback.cls
                for method in ("get", "post", "put", "patch", "delete"):
                    if hasattr(view, method):
                        found.add((pattern.name, method.upper()))

    walk(get_resolver().url_patterns, None)
    return found


def test_the_matrix_covers_every_route_and_method():
    covered = {(route.name, route.method) for route in ROUTES}

    assert _api_routes() == covered


def test_the_matrix_has_every_role_for_every_route():
    assert all(set(route.expected) == set(ROLES) for route in ROUTES)
