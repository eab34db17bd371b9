"""Idempotent requests, as Stripe documents them."""

import uuid

import pytest
import stripe

from .helpers import http


def test_a_repeated_request_gets_the_first_answer_and_creates_nothing_more(client, base_url):
    key = f"test-{uuid.uuid4()}"
    params = {"amount": 1500, "currency": "eur", "payment_method_types": ["card"]}

    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})

    assert again.id == first.id
    assert again.client_secret == first.client_secret
    status, headers, body = http(
        base_url, "POST", "/v1/payment_intents", {"amount": 1500, "currency": "eur",
        "payment_method_types[0]": "card"}, headers={"Idempotency-Key": key},
    )  # fmt: skip
    assert (status, body["id"], headers["Idempotent-Replayed"]) == (200, first.id, "true")


def test_the_same_key_with_other_parameters_is_an_idempotency_error(client):
    key = f"test-{uuid.uuid4()}"
    client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": key})

    with pytest.raises(stripe.IdempotencyError) as error:
        client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": key}
        )

    assert error.value.http_status == 400
    assert error.value.error.type == "idempotency_error"
    assert error.value.user_message.startswith(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with"
    )


def test_the_same_key_on_another_endpoint_is_an_idempotency_error(client):
    key = f"test-{uuid.uuid4()}"
    client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": key})

    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={"amount": 100, "currency": "eur"}, options={"idempotency_key": key}
        )


def test_errors_are_replayed_too(client, base_url):
    key = f"test-{uuid.uuid4()}"
    params = {"amount": "100", "currency": "eur", "destination": "acct_unknown"}

    first = http(base_url, "POST", "/v1/transfers", params, headers={"Idempotency-Key": key})
    again = http(base_url, "POST", "/v1/transfers", params, headers={"Idempotency-Key": key})

    assert first[0] == again[0] == 400
    assert again[2] == first[2]
    assert again[1]["Idempotent-Replayed"] == "true"


def test_keys_belong_to_one_api_key(client, base_url):
    key = f"test-{uuid.uuid4()}"
    params = {"email": "a@example.com"}
    mine = http(base_url, "POST", "/v1/customers", params, headers={"Idempotency-Key": key})
    theirs = http(
        base_url, "POST", "/v1/customers", params, key="sk_test_someone_else",
        headers={"Idempotency-Key": key},
    )  # fmt: skip

    assert mine[2]["id"] != theirs[2]["id"]
    assert "Idempotent-Replayed" not in theirs[1]
