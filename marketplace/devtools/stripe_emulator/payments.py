"""PaymentIntents, PaymentMethods and Charges as Stripe documents them, where
localstripe differs: its classes are adjusted here, at import time.

- Stripe's 404: `resource_missing`, "No such payment_intent: 'pi_...'".
- Test payment methods: pm_card_authenticationRequired (4000 0027 6000 3184),
  pm_card_threeDSecure2Required (4000 0000 0000 3220), pm_card_createDispute
  (4000 0000 0000 0259), pm_card_createDisputeProductNotReceived
  (4000 0000 0000 2685); pm_card_visa_chargeDeclined (4000 0000 0000 0002)
  now declines the charge, as at Stripe. A test id becomes a real `pm_...`
  on the PaymentIntent, as at Stripe.
- PaymentIntent: `transfer_group` (kept on the PaymentIntent and its Charge),
  `use_stripe_sdk` and `return_url` accepted; confirm takes `payment_method`;
  a new payment method after a failure confirms again; `latest_charge` is
  the charge's id unless expanded; `last_payment_error` has Stripe's `type`.
- Webhooks localstripe does not send: `payment_intent.payment_failed` when
  authentication fails, `payment_intent.canceled`.
"""

import time

from localstripe.resources import (
    Charge,
    PaymentIntent,
    PaymentMethod,
    StripeObject,
    store,
)
from localstripe.server import json_response

from .base import (
    StripeError,
    api,
    boolean,
    invalid,
    not_found,
    reject_unknown,
    request_params,
    send_event,
    text,
)

TEST_CARDS = {
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeProductNotReceived": "4000000000002685",
}
# localstripe's own test ids, resolved by it.
LOCALSTRIPE_TEST_IDS = {"pm_card_visa", "pm_card_visa_chargeDeclined", "pm_card_chargeCustomerFail"}
DECLINED_CARD = "4000000000000002"  # generic decline: the charge fails with card_declined

AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


# --- 404s shaped as Stripe's ---------------------------------------------------


def _retrieve(cls, id):
    obj = store.get(f"{cls.object}:{id}")
    if obj is None:
        raise not_found(cls.object, id)
    return obj


StripeObject._api_retrieve = classmethod(_retrieve)


# --- Test payment methods ----------------------------------------------------

_localstripe_test_article = PaymentMethod._try_get_canonical_test_article.__func__


def _test_article(cls, id):
    number = TEST_CARDS.get(id)
    if number is None:
        return _localstripe_test_article(cls, id)
    year = time.gmtime().tm_year + 4
    card = {"number": number, "exp_month": "12", "exp_year": str(year), "cvc": "123"}
    return PaymentMethod(type="card", card=card)


PaymentMethod._try_get_canonical_test_article = classmethod(_test_article)

_localstripe_declines = PaymentMethod._charging_is_declined


def _charging_is_declined(self):
    return _localstripe_declines(self) or getattr(self, "_card_number", None) == DECLINED_CARD


PaymentMethod._charging_is_declined = _charging_is_declined


def real_payment_method(id, param="payment_method") -> str:
    """The id of an existing payment method; a test id (pm_card_visa...)
    becomes a new PaymentMethod, as Stripe does."""
    if not isinstance(id, str) or not id:
        raise invalid(param, f"Invalid string: {id!r}")
    if id in TEST_CARDS or id in LOCALSTRIPE_TEST_IDS:
        return PaymentMethod._api_retrieve(id).id
    try:
        return PaymentMethod._api_retrieve(id).id
    except StripeError:
        raise not_found("payment_method", id, param=param) from None


# --- PaymentIntent -------------------------------------------------------------

# Fields of Stripe's PaymentIntent and Charge that localstripe lacks; class
# defaults also cover objects reloaded from an older store.
PaymentIntent.transfer_group = None
PaymentIntent.cancellation_reason = None
Charge.transfer_group = None

_pi_init = PaymentIntent.__init__


def _pi_init_documented(
    self, transfer_group=None, use_stripe_sdk=None, return_url=None, payment_method=None, **kw
):
    transfer_group = text(transfer_group, "transfer_group")
    boolean(use_stripe_sdk, "use_stripe_sdk", False)
    text(return_url, "return_url")
    if payment_method is not None:
        payment_method = real_payment_method(payment_method)
    _pi_init(self, payment_method=payment_method, **kw)
    self.transfer_group = transfer_group


PaymentIntent.__init__ = _pi_init_documented

_pi_export = StripeObject._export


def _pi_export_latest_charge_id(self, expand=None):
    obj = _pi_export(self, expand=expand)
    expanded = {path.split(".")[0] for path in expand or ()}
    charge = obj.get("latest_charge")
    if "latest_charge" not in expanded and isinstance(charge, dict):
        obj["latest_charge"] = charge["id"]
    return obj


PaymentIntent._export = _pi_export_latest_charge_id

_last_payment_error = PaymentIntent.last_payment_error.fget


def _last_payment_error_typed(self):
    error = _last_payment_error(self)
    if error is None:
        return None
    if error.get("code") == "payment_intent_authentication_failure":
        error.update(type="invalid_request_error", message=AUTHENTICATION_FAILED)
        failed = getattr(self, "_failed_payment_method", None)
        if failed and f"payment_method:{failed}" in store:
            error["payment_method"] = store[f"payment_method:{failed}"]._export()
    else:
        error["type"] = "card_error"
        if error.get("code") == "card_declined":
            error["decline_code"] = "generic_decline"
    return error


PaymentIntent.last_payment_error = property(_last_payment_error_typed)

_charge_init = Charge._initialize_charge


def _initialize_charge_with_group(self, *args, **kwargs):
    # The Charge of a PaymentIntent carries its transfer_group, as at Stripe.
    if self.payment_intent and f"payment_intent:{self.payment_intent}" in store:
        self.transfer_group = store[f"payment_intent:{self.payment_intent}"].transfer_group
    return _charge_init(self, *args, **kwargs)


Charge._initialize_charge = _initialize_charge_with_group


def _unexpected_state(intent, action: str) -> StripeError:
    return StripeError(
        400,
        f"You cannot {action} this PaymentIntent because it has a status of {intent.status}.",
        code="payment_intent_unexpected_state",
        payment_intent=intent._export(),
    )


def _use_payment_method(intent, payment_method) -> None:
    """Attach a (new) payment method: after a declined charge or a failed
    authentication the PaymentIntent can be confirmed again, as at Stripe."""
    if intent.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise _unexpected_state(intent, "update the payment method of")
    intent.payment_method = real_payment_method(payment_method)
    if intent.latest_charge is not None and intent.latest_charge.status == "failed":
        intent.latest_charge = None
    intent.next_action = None


_stripe_update = StripeObject._api_update.__func__


def _pi_update(cls, id, **data):
    intent = cls._api_retrieve(id)
    if "transfer_group" in data:
        data["transfer_group"] = text(data["transfer_group"], "transfer_group")
    payment_method = data.pop("payment_method", None)
    if payment_method is not None:
        _use_payment_method(intent, payment_method)
    if not data:
        return intent
    return _stripe_update(cls, id, **data)


PaymentIntent._api_update = classmethod(_pi_update)


def confirm(id, payment_method=None, use_stripe_sdk=None, return_url=None, **unknown):
    """POST /v1/payment_intents/{id}/confirm with Stripe's parameters."""
    reject_unknown(unknown)
    boolean(use_stripe_sdk, "use_stripe_sdk", False)
    text(return_url, "return_url")
    intent = PaymentIntent._api_retrieve(id)
    if payment_method is not None:
        _use_payment_method(intent, payment_method)
    if intent.status == "requires_payment_method":
        raise StripeError(
            400,
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "Update the PaymentIntent with a payment method and then confirm it again.",
            code="payment_intent_unexpected_state",
        )
    if intent.status != "requires_confirmation":
        raise _unexpected_state(intent, "confirm")
    intent._confirm(on_failure_now=intent._report_failure)
    return intent


CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def cancel(id, cancellation_reason=None, **unknown):
    """POST /v1/payment_intents/{id}/cancel, with the `payment_intent.canceled` webhook."""
    reject_unknown(unknown)
    if cancellation_reason is not None and cancellation_reason not in CANCELLATION_REASONS:
        raise invalid("cancellation_reason", f"Invalid cancellation_reason: {cancellation_reason}")
    intent = PaymentIntent._api_retrieve(id)
    if intent.status not in (
        "requires_payment_method",
        "requires_capture",
        "requires_confirmation",
        "requires_action",
    ):
        raise _unexpected_state(intent, "cancel")
    PaymentIntent._api_cancel(id)
    intent.cancellation_reason = text(cancellation_reason, "cancellation_reason")
    send_event("payment_intent.canceled", intent)
    return intent


async def authenticate(request):
    """The stand-in Stripe.js's 3-D Secure answer (localstripe's route), with
    `payment_intent.payment_failed` when authentication fails, as at Stripe."""
    params = await request_params(request)
    expand = params.pop("expand", None)
    id = params.pop("id")
    intent = PaymentIntent._api_retrieve(id)
    payment_method = intent.payment_method
    intent = PaymentIntent._api_authenticate(id, **params)
    if intent._authentication_failed:
        intent._failed_payment_method = payment_method
        send_event("payment_intent.payment_failed", intent)
    return json_response(intent._export(expand=expand))


routes = [
    ("POST", "/v1/payment_intents/{id}/confirm", api(confirm)),
    ("POST", "/v1/payment_intents/{id}/cancel", api(cancel)),
    ("POST", "/v1/payment_intents/{id}/_authenticate", authenticate),
]
