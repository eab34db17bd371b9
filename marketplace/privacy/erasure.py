"""Scrubbing a deleted account's personal values from the audit trail.

The audit trail keeps what happened to what, by id: its rows about a deleted
account keep their actor, action, entity and time, and lose the personal
values in them: the client address, and every text in `changes` that is
human writing or a value of the account (an email address, a name, a phone
number, a business's details). Machine values stay: statuses, reasons given
as codes, amounts, ids, times.
"""

import re

from django.db import connection
from django.db.models import Q

from marketplace.core.models import AuditLog

ERASED = "[erased]"
# Keys whose value is personal whatever it looks like.
PERSONAL_KEYS = frozenset(
    {
        "address",
        "appeal_text",
        "body",
        "business_name",
        "description",
        "email",
        "ip",
        "ip_address",
        "name",
        "note",
        "phone",
        "recipient_email",
        "reporter_email",
        "text",
        "trade_register_name",
        "trade_register_number",
        "user_agent",
        "vat_number",
    }
)
# A code, an amount, an id or a time: no spaces, no "@".
MACHINE_VALUE = re.compile(r"^[A-Za-z0-9_.:+-]{0,64}$")
BATCH = 500


def personal_strings(*values: str) -> list[str]:
    """The account's own values, and each word of 3 letters or more in them,
    case-folded: a scrubbed text must contain none of them."""
    found = set()
    for value in values:
        value = (value or "").strip().casefold()
        if not value:
            continue
        found.add(value)
        found.update(word for word in re.split(r"[\s@.,]+", value) if len(word) >= 3)
    return sorted(found, key=len, reverse=True)


def _scrub(value, *, personal: list[str], key: str = ""):
    if isinstance(value, dict):
        return {k: _scrub(v, personal=personal, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, personal=personal, key=key) for v in value]
    if not isinstance(value, str):
        return None if key in PERSONAL_KEYS and value is not None else value
    if key in PERSONAL_KEYS or not MACHINE_VALUE.match(value):
        return ERASED if value else value
    folded = value.casefold()
    if any(item in folded for item in personal):
        return ERASED
    return value


def audit_rows_about(*, user_id: int, entities: list[tuple[str, int]]):
    """The audit rows the account made, and those about it or its `entities`
    ((entity_type, id), e.g. its trader declaration)."""
    about = Q(actor_id=user_id) | Q(entity_type="user", entity_id=str(user_id))
    for entity_type, pk in entities:
        about |= Q(entity_type=entity_type, entity_id=str(pk))
    return AuditLog.objects.filter(about)


def audit_erase(*, user_id: int, entities: list[tuple[str, int]], personal: list[str]) -> int:
    """Scrub the personal values of the account's audit rows; returns how
    many rows changed. Must run inside the deletion's transaction: on
    PostgreSQL the append-only trigger lets these updates through only while
    encore.audit_erasure is on, which this switches on and off again within
    the transaction (marketplace/core/migrations/0009_audit_erasure.py)."""
    changed = []
    rows = audit_rows_about(user_id=user_id, entities=entities).only("pk", "changes", "ip_address")
    for row in rows.iterator(chunk_size=BATCH):
        scrubbed = _scrub(row.changes, personal=personal)
        if scrubbed != row.changes or row.ip_address is not None:
            row.changes, row.ip_address = scrubbed, None
            changed.append(row)
    if not changed:
        return 0
    _erasure_allowed(True)
    try:
        AuditLog.objects.bulk_update(changed, ["changes", "ip_address"], batch_size=BATCH)
    finally:
        _erasure_allowed(False)
    return len(changed)


def _erasure_allowed(on: bool) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Local to the transaction: no other change, even in this one, passes.
        cursor.execute(
            "SELECT set_config('encore.audit_erasure', %s, true)", ["on" if on else "off"]
        )
