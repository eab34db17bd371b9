"""PaymentIntents with Stripe's documented parameters, test cards and webhooks."""

import pytest
import stripe

from .helpers import PUBLISHABLE_KEY, http, paid_charge


def authenticate(base_url, intent, success):
    """What the stand-in Stripe.js's 3-D Secure dialog posts."""
    return http(
        base_url,
        "POST",
        f"/v1/payment_intents/{intent.id}/_authenticate?success={str(success).lower()}",
        {"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret},
        key=None,
    )


def test_a_payment_intent_keeps_its_transfer_group_and_its_charge_has_it(client):
    intent = client.v1.payment_intents.create(
        params={
            "amount": 5500,
            "currency": "eur",
            "payment_method_types": ["card"],
            "transfer_group": "encore-txn-1",
        }
    )
    assert (intent.status, intent.transfer_group) == ("requires_payment_method", "encore-txn-1")

    client.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    confirmed = client.v1.payment_intents.confirm(
        intent.id, params={"use_stripe_sdk": True, "return_url": "https://example.com/back"}
    )

    assert confirmed.status == "succeeded"
    assert confirmed.payment_method.startswith("pm_") and confirmed.payment_method != "pm_card_visa"
    charge = client.v1.charges.retrieve(confirmed.latest_charge)
    assert (charge.transfer_group, charge.payment_intent) == ("encore-txn-1", intent.id)


def test_latest_charge_is_an_id_unless_expanded(client):
    charge_id, intent = paid_charge(client)

    assert isinstance(intent.latest_charge, str) and charge_id.startswith("ch_")
    plain = client.v1.payment_intents.retrieve(intent.id)
    expanded = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert plain.latest_charge == charge_id
    assert isinstance(expanded.latest_charge, stripe.Charge)
    assert (expanded.latest_charge.id, expanded.latest_charge.amount) == (charge_id, 2000)


def test_a_refund_of_a_payment_intent_still_finds_its_charge(client):
    charge_id, intent = paid_charge(client)

    refund = client.v1.refunds.create(params={"payment_intent": intent.id})

    assert (refund.charge, refund.amount, refund.status) == (charge_id, 2000, "succeeded")
    assert client.v1.charges.retrieve(charge_id).refunded is True


@pytest.mark.parametrize(
    "card", ["pm_card_authenticationRequired", "pm_card_threeDSecure2Required"]
)
def test_a_card_asking_for_authentication_succeeds_once_authenticated(client, base_url, card):
    intent = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "eur",
            "payment_method": card,
            "confirm": True,
            "use_stripe_sdk": True,
        }
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"

    status, _, body = authenticate(base_url, intent, success=True)

    assert (status, body["status"]) == (200, "succeeded")
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_failed_authentication_asks_for_another_card_and_says_so_by_webhook(
    client, base_url, webhooks
):
    intent = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "eur",
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "use_stripe_sdk": True,
        }
    )

    status, _, body = authenticate(base_url, intent, success=False)

    assert (status, body["status"]) == (200, "requires_payment_method")
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert failed.last_payment_error.type == "invalid_request_error"
    [event] = webhooks.wait("payment_intent.payment_failed", intent.id)
    error = event.data.object.last_payment_error
    assert error.code == "payment_intent_authentication_failure"
    # Another card on the same PaymentIntent then goes through.
    client.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.confirm(intent.id).status == "succeeded"


def test_a_declined_card_can_be_replaced_on_the_same_payment_intent(client):
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa_chargeDeclined"}
        )
    assert declined.value.code == "card_declined"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"

    retried = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa"}
    )

    assert retried.status == "succeeded"


def test_cancelling_sends_payment_intent_canceled(client, webhooks):
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})

    cancelled = client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "abandoned"}
    )

    assert (cancelled.status, cancelled.cancellation_reason) == ("canceled", "abandoned")
    webhooks.wait("payment_intent.canceled", intent.id)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.cancel(intent.id)
    assert again.value.code == "payment_intent_unexpected_state"


def test_unknown_objects_and_parameters_are_refused_as_stripe_does(client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_unknown")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(
            params={"amount": 100, "currency": "eur", "payment_method": "pm_unknown"}
        )
    intent = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as parameter:
        client.v1.payment_intents.confirm(intent.id, params={"transfer_group": "g"})

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert missing.value.user_message == "No such payment_intent: 'pi_unknown'"
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "payment_method")
    # transfer_group is set on create or update, not on confirm (Stripe's reference).
    assert (parameter.value.code, parameter.value.param) == ("parameter_unknown", "transfer_group")


def test_stripe_js_creates_a_payment_method_with_the_publishable_key(client, base_url):
    status, _, body = http(
        base_url,
        "POST",
        "/v1/payment_methods",
        {
            "key": PUBLISHABLE_KEY,
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
            "billing_details[name]": "Ada Lovelace",
        },
        key=None,
    )

    assert status == 200
    method = client.v1.payment_methods.retrieve(body["id"])
    assert (method.card.last4, method.billing_details.name) == ("4242", "Ada Lovelace")
    assert http(base_url, "POST", "/v1/payment_methods", {"type": "card"}, key=None)[0] == 401
    assert http(base_url, "GET", f"/v1/payment_methods/{body['id']}", key=None)[0] == 401


def test_the_stand_in_stripe_js_is_localstripes_with_our_additions(base_url):
    status, headers, script = http(base_url, "GET", "/js.stripe.com/v3/", key=None)

    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    assert "confirmCardPayment" in script  # localstripe's own
    assert "stripe.createPaymentMethod = async function" in script
    assert "stripe.handleNextAction = async function" in script
    additions = script[script.index("Additions to localstripe's stand-in Stripe.js") :]
    assert "console." not in additions
