"""Download my data (marketplace.privacy.export): everything that is the
fan's, nothing of anyone else's, on the profile and through the API."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.privacy.export import user_data_export
from marketplace.testing import ok_data
from payments.tests.factories import TransactionFactory

from .fans_data import fan_with_everything

pytestmark = pytest.mark.django_db


def _ids(document: dict) -> dict:
    return {
        "tickets": {t["id"] for t in document["tickets"]},
        "listings": {item["id"] for item in document["listings"]},
        "purchases": {t["id"] for t in document["purchases"]},
        "sales": {t["id"] for t in document["sales"]},
        "disputes": {
            d["id"] for t in document["purchases"] + document["sales"] for d in t["disputes"]
        },
        "messages": {m["id"] for m in document["messages"]},
        "notifications": {n["id"] for n in document["notifications"]},
        "waiting_lists": {e["id"] for e in document["waiting_lists"]},
        "reports": {r["id"] for r in document["reports"]["made"]},
        "ticket_transfers": {t["id"] for t in document["ticket_transfers"]},
        "api_sessions": {s["id"] for s in document["sessions"]["api"]},
        "audit_log": {a["id"] for a in document["audit_log"]},
    }


def test_the_export_holds_every_row_of_the_fan_and_nothing_of_another_fan():
    # given: two fans, each with a row in every table
    mine, other = fan_with_everything(), fan_with_everything()

    # when
    document = user_data_export(user=mine.user)

    # then: every id of theirs is there, none of the other fan's
    found = _ids(document)
    for section, ids in mine.ids.items():
        assert ids <= found[section], section
        assert not (other.ids[section] & found[section]), section
    text = json.dumps(document)
    assert other.user.email not in text
    assert other.user.name not in text
    assert other.user.phone not in text
    profile = document["profile"]
    assert profile["email"] == mine.user.email
    assert profile["phone"] == mine.user.phone
    assert profile["preferences"] == {"email_news": True}
    assert profile["trader_declaration"]["business_name"] == f"{mine.user.name} Tickets"
    assert profile["payout_account"]["stripe_account_id"].startswith("acct_test")
    assert [a["email"] for a in profile["email_addresses"]] == [mine.user.email]


def test_the_other_party_appears_by_public_name_only():
    txn = TransactionFactory()
    seller, buyer = txn.seller, txn.buyer

    sales = user_data_export(user=seller)["sales"]
    purchases = user_data_export(user=buyer)["purchases"]

    assert sales[0]["buyer"] == buyer.public_name
    assert purchases[0]["seller"] == seller.public_name
    assert buyer.email not in json.dumps(sales)
    assert seller.email not in json.dumps(purchases)
    assert sales[0]["seller_payout"] == str(txn.seller_payout)  # money as a string


def test_messages_say_who_wrote_them():
    mine = fan_with_everything()

    messages = user_data_export(user=mine.user)["messages"]

    senders = {m["body"]: m["from"] for m in messages}
    other = mine.other_messages[0]
    assert senders["See you at the door"] == "me"
    assert senders[other.body] == other.sender.public_name


def test_the_profile_offers_the_download_as_a_json_attachment(client):
    mine = fan_with_everything()
    client.force_login(mine.user)

    profile = client.get(reverse("accounts:profile"))
    response = client.get(reverse("privacy:data-export"))

    assert reverse("privacy:data-export") in profile.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    filename = f"encore-data-{timezone.localdate().isoformat()}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert mine.ids["sales"] <= {t["id"] for t in json.loads(response.content)["sales"]}


def test_the_download_needs_a_login(client):
    response = client.get(reverse("privacy:data-export"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_api_answers_the_same_document(api_as, api):
    mine = fan_with_everything()

    data = ok_data(api_as(mine.user).get("/api/v1/users/me/export"))

    assert _ids(data)["purchases"] == mine.ids["purchases"]
    assert data["profile"]["email"] == mine.user.email
    assert api.get("/api/v1/users/me/export").status_code == 401
