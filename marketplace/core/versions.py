"""Version tokens: what a cached answer was built from, and when it went stale.

A cached answer (the event page's shared parts, a page of API results) is
stored with the version tokens of the scopes it was built from: the whole
catalogue, or one event. A service that changes what such an answer shows (a
listing created, reserved, released, withdrawn or repriced; an event edited
or cancelled) replaces those tokens, and again once its transaction commits,
so the next request finds the stored answer out of date and builds it again. Nothing waits
for a timeout: a page shows a sale as soon as the sale has committed.

A token is random, never a counter: a counter evicted from the cache and
started again at 1 could make an old answer current again. With Redis down
every read misses and every answer is built from the database.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

PREFIX = "version:"
CATALOGUE = "catalogue"


def event_scope(event_id: int) -> str:
    return f"event:{event_id}"


def waitlist_scope(event_id: int) -> str:
    return f"waitlist:{event_id}"


def notifications_scope(user_id: int) -> str:
    return f"notifications:{user_id}"


def _token() -> str:
    return uuid.uuid4().hex


def versions(*scopes: str) -> dict[str, str]:
    """The current token of each scope, in one cache round trip; a scope with
    none yet gets one (the first of concurrent requests to add it wins)."""
    keys = {PREFIX + scope: scope for scope in scopes}
    found = cache.get_many(list(keys))
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, _token(), timeout=None)
    if missing:
        found |= cache.get_many(missing)
    # With the cache unreachable nothing is found: a token nobody stored never
    # matches a stored answer, so every answer is built afresh.
    return {scope: found.get(key) or _token() for key, scope in keys.items()}


def versions_bump(*scopes: str) -> None:
    """Make every answer built from `scopes` out of date, now."""
    cache.set_many({PREFIX + scope: _token() for scope in scopes}, timeout=None)


def changed_on_commit(*scopes: str) -> None:
    """Make every answer built from `scopes` out of date: at once, so that what
    is read later in the same transaction is built afresh with the change, and
    again when the transaction commits, so that an answer built meanwhile from
    the rows as they were before the commit is never current."""
    versions_bump(*scopes)
    transaction.on_commit(lambda: versions_bump(*scopes))


def stamped(stored, version: str):
    """The value of a cache entry stored as (version, value), if `version` is its."""
    if stored is not None and stored[0] == version:
        return stored[1]
    return None


def versioned(key: str, scope: str, build, *, timeout: int):
    """The value cached under `key` while `scope` has not changed since it was
    stored; else build() (stored for next time, for at most `timeout` seconds).
    One cache round trip on a hit."""
    version_key = PREFIX + scope
    found = cache.get_many([version_key, key])
    version = found.get(version_key) or versions(scope)[scope]
    value = stamped(found.get(key), version)
    if value is None:
        value = build()
        cache.set(key, (version, value), timeout)
    return value


def catalogue_changed(*, event_id: int) -> None:
    """What fans see of event `event_id` changed in the current transaction:
    once it commits, its cached answers (the event page, the API's pages of
    its listings, searches of the whole catalogue) are out of date."""
    changed_on_commit(CATALOGUE, event_scope(event_id))


def waitlist_changed(*, event_id: int) -> None:
    """A fan joined or left event `event_id`'s waiting list in the current
    transaction: once it commits, the cached count of fans waiting is out of date."""
    changed_on_commit(waitlist_scope(event_id))
