"""Stripe Connect accounts (`acct_`), their bank accounts and account links.

An account is created as Stripe creates an Express one: nothing enabled,
`requirements.currently_due` listing what the hosted onboarding collects. The
stand-in onboarding page (onboarding.py) completes it; the test route
POST /_emulator/accounts/{id}/requirements asks it for more information later,
as Stripe does. Changes send `account.updated` as a Connect event (with
`account` and `data.previous_attributes`).
"""

import secrets
import time

from localstripe.resources import DeletedObject, StripeObject, fingerprint, store
from localstripe.server import json_response

from .base import (
    Emulated,
    StripeError,
    api,
    boolean,
    changed,
    invalid,
    merged_metadata,
    missing,
    newest_first,
    not_found,
    reject_unknown,
    request_params,
    send_event,
    stripe_list,
    text,
)

EURO_AREA = {
    "AT", "BE", "BG", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PT", "SI", "SK",
}  # fmt: skip
CURRENCIES = {country: "eur" for country in EURO_AREA} | {
    "GB": "gbp", "US": "usd", "CA": "cad", "AU": "aud", "NZ": "nzd", "CH": "chf", "LI": "chf",
    "NO": "nok", "SE": "sek", "DK": "dkk", "PL": "pln", "CZ": "czk", "HU": "huf", "RO": "ron",
    "IS": "isk", "GI": "gbp", "JP": "jpy", "SG": "sgd", "HK": "hkd", "MX": "mxn", "BR": "brl",
}  # fmt: skip
PLATFORM_COUNTRY = "IE"  # Stripe's default country for a new account: the platform's
BUSINESS_TYPES = ("individual", "company", "non_profit", "government_entity")
BUSINESS_PROFILE = (
    "mcc", "name", "product_description", "support_address", "support_email",
    "support_phone", "support_url", "url",
)  # fmt: skip
DISABLED_REASONS = (
    "action_required.requested_capabilities", "listed", "other", "platform_paused",
    "rejected.fraud", "rejected.incomplete_verification", "rejected.listed", "rejected.other",
    "rejected.platform_fraud", "rejected.platform_other", "rejected.platform_terms_of_service",
    "rejected.terms_of_service", "requirements.past_due", "requirements.pending_verification",
    "under_review",
)  # fmt: skip
CAPABILITY_STATES = ("active", "inactive", "pending")
LINK_LIFETIME = 300  # seconds, as Stripe's account links
# Controller properties of the account types (Stripe's "migrate to controller properties").
CONTROLLERS = {
    "express": ("application_express", "application", "stripe", "express"),
    "custom": ("application_custom", "application", "application", "none"),
    "standard": ("account", "stripe", "stripe", "full"),
}


def _requirements(due: list[str], disabled_reason=None, past_due=None, deadline=None) -> dict:
    return {
        "alternatives": [],
        "current_deadline": deadline,
        "currently_due": sorted(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": sorted(due),
        "past_due": sorted(due if past_due is None else past_due),
        "pending_verification": [],
    }


def _controller(type, controller):
    """(type, controller) as Stripe gives them, from an account type or from
    controller properties (whose combination may match a type, else "none")."""
    if type is not None and controller is not None:
        raise invalid("controller", "You cannot specify both `type` and `controller`.")
    if controller is None:
        type = type or "standard"
        if type not in CONTROLLERS:
            raise invalid("type", f"Invalid type: must be one of {', '.join(CONTROLLERS)}.")
        payer, losses, collection, dashboard = CONTROLLERS[type]
    else:
        if not isinstance(controller, dict):
            raise invalid("controller", "Invalid controller: must be an object.")
        payer = (controller.get("fees") or {}).get("payer", "account")
        losses = (controller.get("losses") or {}).get("payments", "stripe")
        collection = controller.get("requirement_collection", "stripe")
        dashboard = (controller.get("stripe_dashboard") or {}).get("type", "full")
        type = "none"
        for name, (type_payer, *rest) in CONTROLLERS.items():
            same_payer = payer.split("_")[0] == type_payer.split("_")[0]
            if same_payer and [losses, collection, dashboard] == rest:
                type = name
    return type, {
        "fees": {"payer": payer},
        "is_controller": True,
        "losses": {"payments": losses},
        "requirement_collection": collection,
        "stripe_dashboard": {"type": dashboard},
        "type": "application",
    }


class Account(Emulated, StripeObject):
    """A connected account, as Stripe's Account object documents it."""

    object = "account"
    _id_prefix = "acct_"
    _fields = (
        "id", "object", "business_profile", "business_type", "capabilities", "charges_enabled",
        "controller", "country", "created", "default_currency", "details_submitted", "email",
        "external_accounts", "future_requirements", "metadata", "payouts_enabled",
        "requirements", "settings", "tos_acceptance", "type",
    )  # fmt: skip

    def __init__(
        self,
        type=None,
        controller=None,
        country=None,
        email=None,
        capabilities=None,
        business_type=None,
        business_profile=None,
        default_currency=None,
        metadata=None,
        **unknown,
    ):
        reject_unknown(unknown)
        type, controller = _controller(type, controller)
        country = (text(country, "country") or PLATFORM_COUNTRY).upper()
        if country not in CURRENCIES:
            raise invalid("country", f"Country '{country}' is unknown or not supported here.")
        business_type = text(business_type, "business_type")
        if business_type is not None and business_type not in BUSINESS_TYPES:
            raise invalid("business_type", f"Invalid business_type: {business_type}")
        profile = dict.fromkeys(BUSINESS_PROFILE)
        if business_profile is not None:
            if not isinstance(business_profile, dict):
                raise invalid("business_profile", "Invalid business_profile: must be an object.")
            reject_unknown(
                {k: v for k, v in business_profile.items() if k not in profile}, "business_profile"
            )
            profile.update(business_profile)
        if capabilities is not None and not isinstance(capabilities, dict):
            raise invalid("capabilities", "Invalid capabilities: must be an object.")
        requested = {}
        for name, value in (capabilities or {}).items():
            if not isinstance(value, dict):
                raise invalid(f"capabilities[{name}]", "Invalid capability: must be an object.")
            if boolean(value.get("requested"), f"capabilities[{name}][requested]", False):
                requested[name] = "inactive"
        metadata = merged_metadata({}, metadata)
        email = text(email, "email")
        currency = (text(default_currency, "default_currency") or CURRENCIES[country]).lower()
        # All exceptions must be raised before this point.
        super().__init__()
        self.type = type
        self.controller = controller
        self.country = country
        self.email = email
        self.default_currency = currency
        self.business_type = business_type
        self.business_profile = profile
        # With none requested, Stripe requests the platform's default ones.
        self.capabilities = requested or {"card_payments": "inactive", "transfers": "inactive"}
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = _requirements(self._onboarding_due(), "requirements.past_due")
        self.future_requirements = _requirements([])
        self.settings = {
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 7, "interval": "daily"},
                "statement_descriptor": None,
            }
        }
        self.tos_acceptance = {"date": None, "ip": None, "user_agent": None}
        self.metadata = metadata
        self._external_account_ids = []

    def _onboarding_due(self) -> list[str]:
        person = "individual" if self.business_type in (None, "individual") else "representative"
        due = ["external_account", "tos_acceptance.date", "tos_acceptance.ip"]
        due += [f"{person}.{field}" for field in ("first_name", "last_name")]
        due += [f"{person}.dob.{part}" for part in ("day", "month", "year")]
        return due + ([] if self.business_type else ["business_type"])

    @property
    def external_accounts(self):
        accounts = [store[f"bank_account:{id}"] for id in self._external_account_ids]
        return stripe_list(f"/v1/accounts/{self.id}/external_accounts", accounts, limit=100)

    def _changed(self, change) -> None:
        """Apply `change()` and send `account.updated` if anything moved."""
        before = self._export()
        change()
        after = self._export()
        before.pop("external_accounts")
        previous = changed(before, after)
        if previous:
            send_event("account.updated", self, account=self.id, previous_attributes=previous)

    def _onboard(self, *, bank: dict | None, ip: str | None, user_agent: str | None) -> None:
        """What Stripe's hosted onboarding ends with: details submitted, and
        everything enabled if a bank account was given."""
        new_bank = BankAccount(self, **bank) if bank else None

        def complete():
            if new_bank is not None:
                for id in self._external_account_ids:
                    store[f"bank_account:{id}"].default_for_currency = False
                self._external_account_ids.append(new_bank.id)
            has_bank = bool(self._external_account_ids)
            self.business_type = self.business_type or "individual"
            self.details_submitted = True
            self.charges_enabled = True
            self.payouts_enabled = has_bank
            self.capabilities = {
                name: "active" if has_bank or name != "transfers" else "inactive"
                for name in self.capabilities
            }
            due = [] if has_bank else ["external_account"]
            self.requirements = _requirements(due, "requirements.past_due" if due else None)
            self.tos_acceptance = {"date": int(time.time()), "ip": ip, "user_agent": user_agent}

        self._changed(complete)
        if new_bank is not None:
            send_event("account.external_account.created", new_bank, account=self.id)

    @classmethod
    def _api_update(cls, id, metadata=None, email=None, business_profile=None, **unknown):
        reject_unknown(unknown)
        account = cls._api_retrieve(id)
        metadata = merged_metadata(account.metadata, metadata)
        profile = dict(account.business_profile)
        if business_profile is not None:
            if not isinstance(business_profile, dict):
                raise invalid("business_profile", "Invalid business_profile: must be an object.")
            reject_unknown(
                {k: v for k, v in business_profile.items() if k not in profile}, "business_profile"
            )
            profile.update(business_profile)
        email = account.email if email is None else text(email, "email")

        def update():
            account.metadata = metadata
            account.business_profile = profile
            account.email = email

        account._changed(update)
        return account

    @classmethod
    def _api_delete(cls, id):
        account = cls._api_retrieve(id)
        for bank_id in account._external_account_ids:
            del store[f"bank_account:{bank_id}"]
        del store[f"account:{id}"]
        return DeletedObject(id, "account")

    @classmethod
    def _api_list(cls, limit=None, starting_after=None, **unknown):
        reject_unknown(unknown)
        return stripe_list("/v1/accounts", newest_first("account"), limit, starting_after)


class BankAccount(Emulated, StripeObject):
    """An account's external bank account (Stripe's bank_account object)."""

    object = "bank_account"
    _id_prefix = "ba_"
    _fields = (
        "id", "object", "account", "account_holder_name", "account_holder_type", "account_type",
        "available_payout_methods", "bank_name", "country", "currency", "default_for_currency",
        "fingerprint", "last4", "metadata", "routing_number", "status",
    )  # fmt: skip

    def __init__(self, account, *, number: str, holder: str, routing_number=None):
        super().__init__()
        self.account = account.id
        self.account_holder_name = holder
        self.account_holder_type = "individual"
        self.account_type = None
        self.available_payout_methods = ["standard"]
        self.bank_name = "STRIPE TEST BANK"
        self.country = account.country
        self.currency = account.default_currency
        self.default_for_currency = True
        self.fingerprint = fingerprint(number)
        self.last4 = number[-4:]
        self.metadata = {}
        self.routing_number = routing_number
        self.status = "new"


class AccountLink(Emulated, StripeObject):
    """A single-use link to the (stand-in) hosted onboarding, valid 300 s."""

    object = "account_link"
    _fields = ("object", "created", "expires_at", "url")

    def __init__(self, *, account, refresh_url, return_url, type, base_url):
        super().__init__(id=secrets.token_urlsafe(24))
        self.account = account
        self.refresh_url = refresh_url
        self.return_url = return_url
        self.type = type
        self.expires_at = self.created + LINK_LIFETIME
        self.url = f"{base_url}/setup/e/{account}/{self.id}"
        self._state = "new"  # then "visited" (the page was shown), then "used"


def create_account_link(
    base_url, account=None, refresh_url=None, return_url=None, type=None, collect=None,
    collection_options=None, **unknown,
):  # fmt: skip
    reject_unknown(unknown)
    for name, value in (("account", account), ("type", type)):
        if not value:
            raise missing(name)
    if type not in ("account_onboarding", "account_update"):
        raise invalid("type", f"Invalid type: {type}")
    if collect is not None and collect not in ("currently_due", "eventually_due"):
        raise invalid("collect", f"Invalid collect: {collect}")
    if collection_options is not None and not isinstance(collection_options, dict):
        raise invalid("collection_options", "Invalid collection_options: must be an object.")
    for name, url in (("refresh_url", refresh_url), ("return_url", return_url)):
        if not url:
            raise missing(name)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise invalid(name, "Not a valid URL", "url_invalid")
    target = store.get(f"account:{account}")
    if target is None:
        raise not_found("account", account, param="account")
    if type == "account_update" and target.controller["requirement_collection"] == "stripe":
        raise StripeError(
            400,
            "You cannot create `account_update` type Account Links for accounts where Stripe "
            "collects requirements (Express and Standard): use `account_onboarding`.",
            param="type",
        )
    return AccountLink(
        account=account, refresh_url=refresh_url, return_url=return_url, type=type,
        base_url=base_url,
    )  # fmt: skip


async def account_links(request):
    """POST /v1/account_links: the link's url is on this emulator's own origin."""
    params = await request_params(request)
    params.pop("expand", None)
    link = create_account_link(f"{request.scheme}://{request.host}", **params)
    return json_response(link._export())


def ask_for_requirements(
    id, currently_due=None, disabled_reason=None, payouts_enabled=None, charges_enabled=None,
    transfers=None, **unknown,
):  # fmt: skip
    """Test route: Stripe needs more information from the account (as it does
    when thresholds are reached or verification fails)."""
    reject_unknown(unknown)
    account = Account._api_retrieve(id)
    if currently_due in (None, ""):
        currently_due = []
    if isinstance(currently_due, str):
        currently_due = [currently_due]
    if not isinstance(currently_due, list) or not all(isinstance(x, str) for x in currently_due):
        raise invalid("currently_due", "currently_due must be a list of requirement names.")
    disabled_reason = text(disabled_reason, "disabled_reason")
    if disabled_reason is not None and disabled_reason not in DISABLED_REASONS:
        raise invalid("disabled_reason", f"Invalid disabled_reason: {disabled_reason}")
    if transfers is not None and transfers not in CAPABILITY_STATES:
        raise invalid("transfers", f"Invalid capability state: {transfers}")
    payouts = None if payouts_enabled is None else boolean(payouts_enabled, "payouts_enabled", True)
    charges = None if charges_enabled is None else boolean(charges_enabled, "charges_enabled", True)

    def require():
        past_due = currently_due if disabled_reason == "requirements.past_due" else []
        deadline = None if past_due or not currently_due else int(time.time()) + 14 * 86400
        account.requirements = _requirements(currently_due, disabled_reason, past_due, deadline)
        if payouts is not None:
            account.payouts_enabled = payouts
        if charges is not None:
            account.charges_enabled = charges
        if transfers is not None:
            account.capabilities = dict(account.capabilities, transfers=transfers)

    account._changed(require)
    return account


def _retrieve(id, **unknown):
    reject_unknown(unknown)
    return Account._api_retrieve(id)


def _delete(id, **unknown):
    reject_unknown(unknown)
    return Account._api_delete(id)


routes = [
    ("POST", "/v1/accounts", api(Account)),
    ("GET", "/v1/accounts", api(Account._api_list)),
    ("GET", "/v1/accounts/{id}", api(_retrieve)),
    ("POST", "/v1/accounts/{id}", api(Account._api_update)),
    ("DELETE", "/v1/accounts/{id}", api(_delete)),
    ("POST", "/v1/account_links", account_links),
    ("POST", "/_emulator/accounts/{id}/requirements", api(ask_for_requirements)),
]
