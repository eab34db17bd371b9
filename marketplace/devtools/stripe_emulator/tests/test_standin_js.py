"""The stand-in Stripe.js additions, run in Chromium (Debian's, as the
browser tests use): createPaymentMethod and handleNextAction."""

import pytest

from .helpers import PUBLISHABLE_KEY

# `browser` is pytest-playwright's, on Debian's Chromium (the root conftest's
# launch arguments), shared with the site's browser tests.


@pytest.fixture
def page(browser, base_url):
    """A checkout-like page on the emulator's origin with a mounted card Element."""
    html = f"""<!doctype html><html lang="en"><head><title>Checkout</title></head><body>
<div id="card"></div>
<script src="{base_url}/js.stripe.com/v3/"></script>
<script>
  window.stripe = Stripe('{PUBLISHABLE_KEY}');
  window.card = stripe.elements().create('card');
  card.mount('#card');
</script></body></html>"""
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.route(
        f"{base_url}/checkout-test",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    page.goto(f"{base_url}/checkout-test")
    yield page
    context.close()


def type_card(page, number, month="12", year="34", cvc="123"):
    for field, value in (("number", number), ("exp_month", month), ("exp_year", year),
                         ("cvc", cvc), ("postal_code", "D02")):  # fmt: skip
        page.fill(f"#card input[placeholder={field}]", value)


def test_create_payment_method_sends_the_card_and_resolves_the_payment_method(page, client):
    type_card(page, "4242424242424242")

    result = page.evaluate(
        """() => stripe.createPaymentMethod({
             type: 'card', card: window.card, billing_details: {name: 'Ada Lovelace'}})"""
    )

    method = result["paymentMethod"]
    assert method["id"].startswith("pm_") and method["card"]["last4"] == "4242"
    assert client.v1.payment_methods.retrieve(method["id"]).billing_details.name == "Ada Lovelace"
    assert page.console_errors == []


def test_the_older_create_payment_method_form_works_too(page):
    type_card(page, "4000002760003184")

    result = page.evaluate(
        "() => stripe.createPaymentMethod('card', window.card, {billing_details: {name: 'A'}})"
    )

    assert result["paymentMethod"]["card"]["last4"] == "3184"


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "code"),
    [
        ("", "12", "34", "123", "incomplete_number"),
        ("424242424242", "12", "34", "123", "incomplete_number"),
        ("4242424242424242", "", "", "123", "incomplete_expiry"),
        ("4242424242424242", "12", "19", "123", "invalid_expiry_year_past"),
        ("4242424242424242", "12", "34", "1", "incomplete_cvc"),
    ],
)
def test_an_incomplete_card_resolves_a_readable_error_without_throwing(
    page, number, month, year, cvc, code
):
    type_card(page, number, month, year, cvc)

    result = page.evaluate("() => stripe.createPaymentMethod({type: 'card', card: window.card})")

    assert result["error"]["type"] == "validation_error"
    assert result["error"]["code"] == code
    assert result["error"]["message"].startswith("Your card")
    assert page.console_errors == []


def test_an_untouched_card_element_is_an_incomplete_number(page):
    result = page.evaluate("() => stripe.createPaymentMethod({type: 'card', card: window.card})")

    assert result["error"]["code"] == "incomplete_number"


def intent_needing_authentication(client):
    return client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "use_stripe_sdk": True,
        }
    )


def handle_next_action(page, intent, button):
    page.evaluate(
        "secret => { window.outcome = null; "
        "stripe.handleNextAction({clientSecret: secret}).then(r => { window.outcome = r; }); }",
        intent.client_secret,
    )
    page.get_by_role("button", name=button).click()
    page.wait_for_function("() => window.outcome !== null")
    return page.evaluate("() => window.outcome")


def test_handle_next_action_completes_the_authentication(page, client):
    intent = intent_needing_authentication(client)

    outcome = handle_next_action(page, intent, "Complete authentication")

    assert outcome["paymentIntent"]["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert page.console_errors == []


def test_handle_next_action_reports_a_failed_authentication(page, client):
    intent = intent_needing_authentication(client)

    outcome = handle_next_action(page, intent, "Fail authentication")

    error = outcome["error"]
    assert error["code"] == "payment_intent_authentication_failure"
    assert error["message"]
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert page.console_errors == []
