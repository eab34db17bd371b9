"""Transfers to connected accounts, their reversals, and the balance they move."""

import pytest
import stripe

from .helpers import express_account, http, onboarded_account, paid_charge


@pytest.fixture(scope="module")
def seller(client):
    return onboarded_account(client)


def available(client, currency):
    balance = client.v1.balance.retrieve()
    return next((b.amount for b in balance.available if b.currency == currency), 0)


def test_a_transfer_from_a_charge_reaches_the_seller(client, seller, webhooks):
    charge, _ = paid_charge(client, amount=5500, transfer_group="encore-txn-42")

    transfer = client.v1.transfers.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "destination": seller.id,
            "source_transaction": charge,
            "transfer_group": "encore-txn-42",
            "description": "Seller's share",
            "metadata": {"payout_id": "9"},
        }
    )

    assert isinstance(transfer, stripe.Transfer)
    assert transfer.id.startswith("tr_")
    assert (transfer.amount, transfer.currency, transfer.destination) == (5000, "eur", seller.id)
    assert (transfer.source_transaction, transfer.transfer_group) == (charge, "encore-txn-42")
    assert (transfer.amount_reversed, transfer.reversed, transfer.source_type) == (0, False, "card")
    assert transfer.destination_payment.startswith("py_")
    assert transfer.balance_transaction.startswith("txn_")
    assert transfer.reversals.object == "list" and transfer.reversals.data == []
    assert transfer.reversals.url == f"/v1/transfers/{transfer.id}/reversals"
    assert transfer.metadata.to_dict() == {"payout_id": "9"}
    assert client.v1.transfers.retrieve(transfer.id).description == "Seller's share"
    [event] = webhooks.wait("transfer.created", transfer.id)
    assert event.data.object.amount == 5000


def test_transfers_are_listed_by_destination_and_group_and_updated(client, seller, webhooks):
    charge, _ = paid_charge(client)
    transfer = client.v1.transfers.create(
        params={"amount": 100, "currency": "eur", "destination": seller.id,
                "source_transaction": charge, "transfer_group": f"group-{charge}"}
    )  # fmt: skip

    by_group = client.v1.transfers.list(params={"transfer_group": f"group-{charge}"})
    by_destination = client.v1.transfers.list(params={"destination": seller.id, "limit": 100})
    updated = client.v1.transfers.update(transfer.id, params={"metadata": {"note": "x"}})

    assert [t.id for t in by_group.data] == [transfer.id]
    assert transfer.id in [t.id for t in by_destination.data]
    assert updated.metadata.note == "x"
    [event] = webhooks.wait("transfer.updated", transfer.id)
    assert event.data.previous_attributes.metadata.to_dict() == {}


def refused(client, **params):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.create(params={"currency": "eur", "amount": 100, **params})
    assert error.value.http_status == 400
    assert error.value.error.type == "invalid_request_error"
    return error.value


def test_a_transfer_to_an_unknown_account_is_refused(client):
    error = refused(client, destination="acct_unknown")

    assert (error.code, error.param) == ("resource_missing", "destination")


def test_a_transfer_to_an_account_without_the_transfers_capability_is_refused(client):
    error = refused(client, destination=express_account(client).id)

    assert (error.code, error.param) == ("insufficient_capabilities_for_transfer", "destination")
    assert error.user_message == (
        "Your destination account needs to have at least one of the following capabilities "
        "enabled: transfers, crypto_transfers, legacy_payments"
    )


def test_a_transfer_from_a_failed_charge_is_refused(client, seller):
    intent = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeCustomerFail"}
        )
    failed_charge = declined.value.json_body["error"]["charge"]

    error = refused(client, destination=seller.id, source_transaction=failed_charge)
    missing = refused(client, destination=seller.id, source_transaction="ch_unknown")

    assert error.param == "source_transaction"
    assert (missing.code, missing.param) == ("resource_missing", "source_transaction")


def test_a_transfer_in_another_currency_than_its_charge_is_refused(client, seller):
    charge, _ = paid_charge(client, currency="eur")

    error = refused(client, destination=seller.id, source_transaction=charge, currency="gbp")

    assert error.param == "currency"


def test_transfers_cannot_take_more_than_remains_of_their_charge(client, seller):
    charge, _ = paid_charge(client, amount=1000)
    client.v1.transfers.create(
        params={"amount": 600, "currency": "eur", "destination": seller.id,
                "source_transaction": charge}
    )  # fmt: skip

    error = refused(client, destination=seller.id, source_transaction=charge, amount=401)

    assert error.param == "amount"
    client.v1.transfers.create(
        params={"amount": 400, "currency": "eur", "destination": seller.id,
                "source_transaction": charge}
    )  # fmt: skip


def test_a_transfer_beyond_the_available_balance_is_refused(client, seller):
    # Nothing was ever charged in zł: the available balance is zero.
    error = refused(client, destination=seller.id, currency="pln", amount=100)

    assert error.code == "balance_insufficient"


def test_reversals_take_back_part_then_the_rest_and_no_more(client, seller, webhooks):
    charge, _ = paid_charge(client, amount=3000, currency="dkk")
    transfer = client.v1.transfers.create(
        params={"amount": 3000, "currency": "dkk", "destination": seller.id,
                "source_transaction": charge}
    )  # fmt: skip
    before = available(client, "dkk")

    partial = client.v1.transfers.reversals.create(
        transfer.id, params={"amount": 1000, "metadata": {"payout_id": "3"}}
    )
    rest = client.v1.transfers.reversals.create(
        transfer.id, params={"refund_application_fee": True, "description": "Refunded sale"}
    )

    assert isinstance(partial, stripe.TransferReversal)
    assert partial.id.startswith("trr_")
    assert (partial.amount, partial.currency, partial.transfer) == (1000, "dkk", transfer.id)
    assert partial.metadata.to_dict() == {"payout_id": "3"}
    assert partial.destination_payment_refund.startswith("pyr_")
    assert partial.balance_transaction.startswith("txn_") and partial.source_refund is None
    assert rest.amount == 2000
    reversed_transfer = client.v1.transfers.retrieve(transfer.id)
    assert (reversed_transfer.amount_reversed, reversed_transfer.reversed) == (3000, True)
    assert [r.id for r in reversed_transfer.reversals.data] == [rest.id, partial.id]
    listed = client.v1.transfers.reversals.list(transfer.id)
    assert [r.id for r in listed.data] == [rest.id, partial.id]
    assert client.v1.transfers.reversals.retrieve(transfer.id, partial.id).amount == 1000
    assert available(client, "dkk") == before + 3000
    events = webhooks.wait("transfer.reversed", transfer.id, count=2)
    assert sorted(e.data.object.amount_reversed for e in events) == [1000, 3000]
    with pytest.raises(stripe.InvalidRequestError) as more:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})
    assert more.value.param == "amount"


def test_a_reversal_larger_than_the_transfer_is_refused(client, seller):
    charge, _ = paid_charge(client, amount=500)
    transfer = client.v1.transfers.create(
        params={"amount": 500, "currency": "eur", "destination": seller.id,
                "source_transaction": charge}
    )  # fmt: skip

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 501})

    assert (error.value.http_status, error.value.param) == (400, "amount")
    assert client.v1.transfers.retrieve(transfer.id).amount_reversed == 0


def test_the_balance_adds_charges_and_takes_away_refunds_and_transfers(client, seller, base_url):
    before = available(client, "nok")

    charge, intent = paid_charge(client, amount=10000, currency="nok")
    after_charge = available(client, "nok")
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2500})
    after_refund = available(client, "nok")
    client.v1.transfers.create(params={"amount": 4000, "currency": "nok", "destination": seller.id})
    after_transfer = available(client, "nok")

    assert (after_charge, after_refund, after_transfer) == (
        before + 10000,
        before + 7500,
        before + 3500,
    )
    status, _, balance = http(base_url, "GET", "/v1/balance")
    assert status == 200 and balance["object"] == "balance" and balance["livemode"] is False
    nok = next(b for b in balance["available"] if b["currency"] == "nok")
    assert nok["source_types"] == {"card": nok["amount"]}
    assert any(p["currency"] == "nok" for p in balance["pending"])
