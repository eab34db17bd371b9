"""The partner's whole journey through the API, as /api/docs/ describes it:
register, verify, log in, list a ticket, buy it with a Stripe test card,
message, confirm receipt; and a second purchase that ends in a dispute."""

import re
from decimal import Decimal

import pytest

from accounts.tests.factories import OrganizerFactory
from events.tests.factories import EventFactory
from messaging.models import Email
from payments.models import Payout, Transaction
from tickets.tests.files import as_upload, ticket_pdf

pytestmark = pytest.mark.django_db


def _register_and_login(api, email, name):
    response = api.post(
        "/api/v1/auth/register",
        {"email": email, "password": "a-long-pass-phrase-9", "name": name},
        format="json",
    )
    assert response.status_code == 202, response.json()
    # The code arrives by email (the outbox row the email task sends).
    body = Email.objects.filter(to=email).latest("id").body
    token = re.search(r"^(\S{40,})$", body, re.MULTILINE).group(1)
    verified = api.post("/api/v1/users/verify", {"token": token}, format="json")
    assert verified.json()["data"]["email_verified"] is True

    login = api.post(
        "/api/v1/auth/login",
        {"email": email, "password": "a-long-pass-phrase-9"},
        format="json",
    )
    assert login.status_code == 200, login.json()
    return login.json()["data"]


def _bearer(api, tokens):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return api


def _sell(seller, event, barcode, price):
    upload = seller.post(
        "/api/v1/tickets/upload",
        {
            "event_id": event.pk,
            "face_value": "50.00",
            "barcode": barcode,
            "section": "Floor",
            # The box office's PDF: the barcode, as a QR code, is what Encore reads.
            "file": as_upload(ticket_pdf(barcode)),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    ticket = upload.json()["data"]
    listing = seller.post(
        "/api/v1/listings", {"ticket_id": ticket["id"], "price": price}, format="json"
    )
    assert listing.status_code == 201, listing.json()
    return listing.json()["data"]


def test_register_list_buy_message_confirm_and_dispute(api_as, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    event = EventFactory(organizer=OrganizerFactory(), category="concert")
    with django_capture_on_commit_callbacks(execute=True):
        seller_tokens = _register_and_login(APIClient(), "seller@example.com", "Sam Seller")
        buyer_tokens = _register_and_login(APIClient(), "buyer@example.com", "Bea Buyer")
    seller = _bearer(APIClient(), seller_tokens)
    buyer = _bearer(APIClient(), buyer_tokens)

    # A price over the cap is refused with the rule's details first.
    listing = _sell(seller, event, "ENC-0001-AAAA", "55.00")
    too_high = seller.put(f"/api/v1/listings/{listing['id']}", {"price": "61.00"}, format="json")
    assert too_high.status_code == 400
    assert too_high.json()["error"]["details"] == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": "60.00",
        "provided": "61.00",
    }
    assert listing["fee_breakdown"]["platform_fee"] == "4.40"
    assert listing["fee_breakdown"]["seller_payout"] == "50.60"

    # The buyer finds it and pays with a test card at once.
    found = buyer.get("/api/v1/listings", {"event_id": event.pk}).json()
    assert [row["id"] for row in found["data"]] == [listing["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        bought = buyer.post(
            "/api/v1/transactions/purchase",
            {"listing_id": listing["id"], "payment_method_id": "pm_card_visa"},
            format="json",
        )
    assert bought.status_code == 201, bought.json()
    purchase = bought.json()["data"]
    assert purchase["status"] == "paid"
    assert purchase["final_price"] == "55.00"
    assert purchase["client_secret"]

    # The ticket is now the buyer's, file included.
    ticket_file = buyer.get(f"/api/v1/tickets/{purchase['ticket_id']}/file")
    assert ticket_file.status_code == 200
    assert b"".join(ticket_file.streaming_content) == ticket_pdf("ENC-0001-AAAA")

    # They talk; contact details are masked.
    with django_capture_on_commit_callbacks(execute=True):
        sent = buyer.post(
            "/api/v1/messages",
            {"transaction_id": purchase["id"], "body": "Got it, mail me at bea@example.com"},
            format="json",
        )
    assert sent.status_code == 201
    assert "bea@example.com" not in sent.json()["data"]["body"]
    thread = seller.get(f"/api/v1/messages/{purchase['id']}").json()
    assert thread["meta"]["pagination"]["total"] == 1
    read = seller.post(f"/api/v1/messages/{thread['data'][0]['id']}/read")
    assert read.json()["data"]["read_at"] is not None

    # Receipt confirmed: the sale completes and the payout is scheduled.
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = buyer.post(f"/api/v1/transactions/{purchase['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["data"]["status"] == "completed"
    assert Payout.objects.get(transaction_id=purchase["id"]).amount == Decimal("50.60")

    # A second purchase goes wrong: the buyer opens a dispute.
    second = _sell(seller, event, "ENC-0002-BBBB", "50.00")
    with django_capture_on_commit_callbacks(execute=True):
        bought = buyer.post(
            "/api/v1/transactions/purchase",
            {"listingId": second["id"], "paymentMethod": "credit_card"},
            format="json",
        )
    assert bought.status_code == 201
    pending = bought.json()["data"]
    assert pending["payment_status"] == "pending"
    assert pending["payment_method"] == "credit_card"
    with django_capture_on_commit_callbacks(execute=True):
        paid = buyer.post(
            f"/api/v1/transactions/{pending['id']}/pay",
            {"payment_method_id": "pm_card_visa"},
            format="json",
        )
    assert paid.json()["data"]["status"] == "paid"
    with django_capture_on_commit_callbacks(execute=True):
        disputed = buyer.post(
            f"/api/v1/transactions/{pending['id']}/dispute",
            {"reason": "invalid_ticket", "description": "The scanner refused it."},
            format="json",
        )
    assert disputed.status_code == 201, disputed.json()
    assert Transaction.objects.get(pk=pending["id"]).status == "disputed"

    # Logging out revokes the refresh token.
    api = APIClient()
    assert api.post("/api/v1/auth/logout", {"refresh": buyer_tokens["refresh"]}).status_code == 200
    again = api.post("/api/v1/auth/refresh", {"refresh": buyer_tokens["refresh"]}, format="json")
    assert again.status_code == 401
