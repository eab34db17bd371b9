"""A charge's refunds found through an index, not a scan of the whole store.

localstripe lists a charge's refunds by going through every object it holds,
and does so several times each time it shows a charge (`refunds`,
`amount_refunded`, `refunded`): a card payment took 10 ms with an empty
store and 60 ms once it held 2,500 payments. Here each refund is noted
under its charge when it is created, and the list is read from that note.
The answer is the same list, in the same order (newest first), shaped as
Stripe documents it.
"""

from localstripe.errors import UserError
from localstripe.resources import Charge, List, Refund, store

# charge id -> ids of its refunds, in the order they were made
_by_charge: dict[str, list[str]] = {}


def refunds_index_rebuild() -> None:
    """Note every refund of the store (after the store is loaded from disk)."""
    _by_charge.clear()
    for key, value in store.items():
        if key.startswith("refund:") and isinstance(value, Refund):
            _by_charge.setdefault(value.charge, []).append(value.id)


def _refunds_of(charge: str) -> list:
    found = []
    for refund_id in _by_charge.get(charge, ()):
        refund = store.get(f"refund:{refund_id}")
        # The store may have been emptied or replaced since: trust only what it holds.
        if refund is not None and refund.charge == charge:
            found.append(refund)
    return found


_refund_init = Refund.__init__


def _refund_init_noted(self, *args, **kwargs):
    _refund_init(self, *args, **kwargs)
    _by_charge.setdefault(self.charge, []).append(self.id)


_list_all = Refund._api_list_all.__func__


def _list_all_indexed(cls, url, charge=None, payment_intent=None, limit=None, starting_after=None):
    if charge is None or payment_intent is not None:
        return _list_all(
            cls,
            url,
            charge=charge,
            payment_intent=payment_intent,
            limit=limit,
            starting_after=starting_after,
        )
    if not (isinstance(charge, str) and charge.startswith("ch_")):
        raise UserError(400, "Bad request")
    Charge._api_retrieve(charge)  # 404 for a charge that does not exist
    page = List(url, limit=limit, starting_after=starting_after)
    page._list = _refunds_of(charge)
    page._list.sort(key=lambda refund: refund.date, reverse=True)
    return page


Refund.__init__ = _refund_init_noted
Refund._api_list_all = classmethod(_list_all_indexed)
refunds_index_rebuild()
