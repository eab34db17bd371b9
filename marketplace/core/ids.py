"""Primary keys that come from outside (a URL, a body, a query, a form).

One bound for all of them: 1 to 18 digits, so no id overflows PostgreSQL's
bigint (2**63 - 1, 19 digits) and one regular expression can say it in a URL.
"""

MAX_ID = 10**18 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def as_id(value) -> int | None:
    """`value` as a primary key, or None when it cannot be one ("abc", 1.5, True, -3)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


class IdConverter:
    """The `<id:...>` of every route: an id as above. A longer number finds no
    route and answers 404. Registered once, by the kernel's AppConfig.ready()."""

    regex = f"[1-9][0-9]{{0,{MAX_ID_DIGITS - 1}}}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)
