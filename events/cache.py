"""The home page's upcoming events, cached.

The cached list lives under a key that embeds a version token
(marketplace/core/versions.py); any change to an event replaces the token (after
its transaction commits), so the next request
misses and reads the database again. Old entries are never read again and
expire on their own. A request that read the old token before the change and
stores its (old) list afterwards stores it under the old key, which nobody
reads any more: no stale list survives an invalidation.

Listing counts and lowest prices on the cards may lag by up to
UPCOMING_CACHE_SECONDS: listings change far more often than events, and the
event page (never cached) always shows the live listings.
"""

from django.core.cache import cache
from django.utils import timezone

from marketplace.core.versions import versions, versions_bump

from .models import Event
from .selectors import event_list_upcoming

UPCOMING_CACHE_SECONDS = 5 * 60
# The version token's scope (marketplace/core/versions.py).
UPCOMING_SCOPE = "events:upcoming"


def upcoming_version() -> str:
    """What the cached upcoming events depend on: the version token and the day.
    The home page's rendered event grid is cached under it too ({% cache %})."""
    return f"{versions(UPCOMING_SCOPE)[UPCOMING_SCOPE]}:{timezone.localdate().isoformat()}"


def event_list_upcoming_cached(*, limit: int) -> list[Event]:
    """event_list_upcoming(limit=limit) as a list, from the cache when it can be.

    The key holds the date too: an event of yesterday leaves the list at
    midnight even without a change. With the cache down (django-redis ignores
    its errors) every call reads the database.
    """
    key = f"events:upcoming:{upcoming_version()}:{limit}"
    events = cache.get(key)
    if events is None:
        events = list(event_list_upcoming(limit=limit))
        cache.set(key, events, UPCOMING_CACHE_SECONDS)
    return events


def upcoming_events_invalidate() -> None:
    """Forget every cached list of upcoming events. Call it after a change to an
    event commits (transaction.on_commit), so no request caches the old rows
    under the new version."""
    versions_bump(UPCOMING_SCOPE)
