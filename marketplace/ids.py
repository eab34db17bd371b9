"""Primary keys that come from outside (a URL, a query, a form)."""

# PostgreSQL's bigint: a larger number can be no row's id.
MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """`value` as a primary key, or None when it cannot be one ("abc", 1.5, True, -3)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None
