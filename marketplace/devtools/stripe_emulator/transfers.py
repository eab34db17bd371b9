"""Transfers to connected accounts (`tr_`) and their reversals (`trr_`), with
Stripe's refusals: an unknown destination, a destination without the
transfers capability, a source_transaction that cannot fund the transfer,
and (without source_transaction) an available balance too small."""

from localstripe.resources import StripeObject, random_id, store

from .balance import LedgerEntry, available
from .base import (
    Emulated,
    StripeError,
    api,
    boolean,
    invalid,
    merged_metadata,
    missing,
    newest_first,
    not_found,
    positive_int,
    reject_unknown,
    send_event,
    stripe_list,
    text,
)

TRANSFER_CAPABILITIES = ("transfers", "crypto_transfers", "legacy_payments")


def _destination(id):
    if not id:
        raise missing("destination")
    account = store.get(f"account:{id}") if isinstance(id, str) else None
    if account is None:
        raise not_found("destination", id, param="destination")
    if not any(account.capabilities.get(name) == "active" for name in TRANSFER_CAPABILITIES):
        raise StripeError(
            400,
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    return account


def _source_charge(id, amount, currency):
    """The charge funding the transfer: succeeded, in the transfer's currency,
    with enough left after the transfers already made from it."""
    charge = store.get(f"charge:{id}") if isinstance(id, str) else None
    if charge is None:
        raise not_found("charge", id, param="source_transaction")
    if charge.status != "succeeded" or not charge.captured:
        raise invalid(
            "source_transaction",
            f"The source_transaction {id} must be a succeeded charge (its status is "
            f"{charge.status}).",
        )
    if charge.currency != currency:
        raise invalid(
            "currency",
            f"The currency of the transfer ({currency}) must be the currency of its "
            f"source_transaction {id} ({charge.currency}).",
        )
    used = sum(t.amount for t in newest_first("transfer") if t.source_transaction == id)
    if amount > charge.amount - used:
        raise invalid(
            "amount",
            f"The transfer amount ({amount}) exceeds what remains of the source_transaction "
            f"{id} ({charge.amount - used} of {charge.amount}).",
        )
    return charge


class Transfer(Emulated, StripeObject):
    """Stripe's Transfer object."""

    object = "transfer"
    _id_prefix = "tr_"
    _fields = (
        "id", "object", "amount", "amount_reversed", "balance_transaction", "created",
        "currency", "description", "destination", "destination_payment", "livemode",
        "metadata", "reversals", "reversed", "source_transaction", "source_type",
        "transfer_group",
    )  # fmt: skip

    def __init__(
        self, amount=None, currency=None, destination=None, source_transaction=None,
        transfer_group=None, description=None, metadata=None, source_type=None, **unknown,
    ):  # fmt: skip
        reject_unknown(unknown)
        if amount is None:
            raise missing("amount")
        amount = positive_int(amount, "amount")
        if not currency:
            raise missing("currency")
        currency = text(currency, "currency").lower()
        if source_type not in (None, "card"):
            raise invalid("source_type", f"Invalid source_type: {source_type}")
        _destination(destination)
        if source_transaction is not None:
            _source_charge(source_transaction, amount, currency)
        elif amount > available().get(currency, 0):
            raise StripeError(
                400,
                "You have insufficient available funds in your Stripe account. In test mode, "
                "charges add to the available balance at once here; transfer less, or make "
                "the transfer from a charge with `source_transaction`.",
                code="balance_insufficient",
            )
        metadata = merged_metadata({}, metadata)
        description = text(description, "description")
        transfer_group = text(transfer_group, "transfer_group")
        # All exceptions must be raised before this point.
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.description = description
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.metadata = metadata
        self.source_transaction = source_transaction
        self.source_type = "card"
        self.transfer_group = transfer_group
        self._reversal_ids = []
        entry = LedgerEntry(
            amount=-amount, currency=currency, type="transfer", reporting_category="transfer",
            source=self.id,
        )  # fmt: skip
        self.balance_transaction = entry.id
        send_event("transfer.created", self)

    @property
    def amount_reversed(self):
        return sum(store[f"transfer_reversal:{id}"].amount for id in self._reversal_ids)

    @property
    def reversed(self):
        return self.amount_reversed >= self.amount

    @property
    def reversals(self):
        items = [store[f"transfer_reversal:{id}"] for id in reversed(self._reversal_ids)]
        return stripe_list(f"/v1/transfers/{self.id}/reversals", items)

    @classmethod
    def _api_update(cls, id, metadata=None, description=None, **unknown):
        reject_unknown(unknown)
        transfer = cls._api_retrieve(id)
        before = {"metadata": transfer.metadata, "description": transfer.description}
        transfer.metadata = merged_metadata(transfer.metadata, metadata)
        if description is not None:
            transfer.description = text(description, "description")
        previous = {k: v for k, v in before.items() if getattr(transfer, k) != v}
        if previous:
            send_event("transfer.updated", transfer, previous_attributes=previous)
        return transfer

    @classmethod
    def _api_list(cls, destination=None, transfer_group=None, limit=None, starting_after=None,
                  **unknown):  # fmt: skip
        reject_unknown(unknown)
        items = [
            t for t in newest_first("transfer")
            if destination in (None, t.destination)
            and transfer_group in (None, t.transfer_group)
        ]  # fmt: skip
        return stripe_list("/v1/transfers", items, limit, starting_after)


class TransferReversal(Emulated, StripeObject):
    """Stripe's TransferReversal object: money taken back from the destination."""

    object = "transfer_reversal"
    _id_prefix = "trr_"
    _fields = (
        "id", "object", "amount", "balance_transaction", "created", "currency",
        "destination_payment_refund", "metadata", "source_refund", "transfer",
    )  # fmt: skip

    def __init__(self, transfer, amount, description, metadata):
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.destination_payment_refund = "pyr_" + random_id(24)
        self.metadata = metadata
        self.source_refund = None
        self.transfer = transfer.id
        self._description = description
        entry = LedgerEntry(
            amount=amount, currency=transfer.currency, type="transfer_refund",
            reporting_category="transfer_reversal", source=self.id,
        )  # fmt: skip
        self.balance_transaction = entry.id


def create_reversal(
    id, amount=None, description=None, metadata=None, refund_application_fee=None, **unknown
):
    """POST /v1/transfers/{id}/reversals: all that remains unless `amount`."""
    reject_unknown(unknown)
    transfer = Transfer._api_retrieve(id)
    remaining = transfer.amount - transfer.amount_reversed
    amount = remaining if amount is None else positive_int(amount, "amount")
    if remaining == 0:
        raise invalid("amount", f"Transfer {id} has already been fully reversed.")
    if amount > remaining:
        raise invalid(
            "amount",
            f"The reversal amount ({amount}) exceeds what remains of transfer {id} ({remaining}).",
        )
    boolean(refund_application_fee, "refund_application_fee", False)
    metadata = merged_metadata({}, metadata)
    reversal = TransferReversal(transfer, amount, text(description, "description"), metadata)
    transfer._reversal_ids.append(reversal.id)
    send_event("transfer.reversed", transfer)
    return reversal


def _reversal(transfer, id):
    reversal = store.get(f"transfer_reversal:{id}")
    if reversal is None or reversal.transfer != transfer:
        raise not_found("transfer_reversal", id)
    return reversal


def retrieve_reversal(transfer, id, **unknown):
    reject_unknown(unknown)
    return _reversal(transfer, id)


def update_reversal(transfer, id, metadata=None, **unknown):
    reject_unknown(unknown)
    reversal = _reversal(transfer, id)
    reversal.metadata = merged_metadata(reversal.metadata, metadata)
    return reversal


def list_reversals(id, limit=None, starting_after=None, **unknown):
    reject_unknown(unknown)
    transfer = Transfer._api_retrieve(id)
    items = [store[f"transfer_reversal:{r}"] for r in reversed(transfer._reversal_ids)]
    return stripe_list(f"/v1/transfers/{id}/reversals", items, limit, starting_after)


def _retrieve(id, **unknown):
    reject_unknown(unknown)
    return Transfer._api_retrieve(id)


routes = [
    ("POST", "/v1/transfers", api(Transfer)),
    ("GET", "/v1/transfers", api(Transfer._api_list)),
    ("GET", "/v1/transfers/{id}", api(_retrieve)),
    ("POST", "/v1/transfers/{id}", api(Transfer._api_update)),
    ("POST", "/v1/transfers/{id}/reversals", api(create_reversal)),
    ("GET", "/v1/transfers/{id}/reversals", api(list_reversals)),
    ("GET", "/v1/transfers/{transfer}/reversals/{id}", api(retrieve_reversal)),
    ("POST", "/v1/transfers/{transfer}/reversals/{id}", api(update_reversal)),
]
