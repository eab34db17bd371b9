"""Pages of public search results, served from the cache until what they show changes.

The listings and events searches answer the same few questions again and again
(an event's tickets, a category in a city), and during a rush the same one
thousands of times a second. A page of results (its rows and its count) is
stored under the normalised question: the path, the validated filters, the page,
the page size and the cursor, in a fixed order, so `?city=Dublin&page=1` and
`?page=1&city=Dublin` share one entry and parameters the search does not read
are left out. It is stored with the version tokens of the scopes it was built
from (marketplace/core/versions.py): a listing or an event changing replaces
them when its transaction commits, and the next request builds the page again.

What is stored is the page's JSON, ready to send: a hit is one cache round trip
and no serializer at all. Each answer still gets its own meta.timestamp.
Answers also expire after SEARCH_CACHE_SECONDS and at the end of the day (the
searches start "from today"). Only successful answers are stored: a refused
question is answered again each time, with its error.
"""

import hashlib
import json

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from marketplace.core import metrics
from marketplace.core.versions import PREFIX, versions

from .envelope import page_params, timestamp

SEARCH_CACHE_SECONDS = 60
_RENDERER = JSONRenderer()


def _question(request, filters: dict) -> str:
    page, limit = page_params(request)
    cursor = request.query_params.get("cursor", "")
    wanted = {name: str(value) for name, value in sorted(filters.items())}
    # The answer's language too: its texts (a listing's price_text) are in it.
    language = translation.get_language()
    return json.dumps([request.path, wanted, page, limit, cursor, language], separators=(",", ":"))


def cached_search(request, *, filters: dict, scopes: tuple[str, ...], build):
    """The answer of `build()` (a paginated envelope Response) for this request,
    from the cache while `scopes` have not changed since it was stored."""
    question = _question(request, filters)
    key = "api-search:" + hashlib.sha256(question.encode()).hexdigest()
    # The tokens and the stored page in one round trip.
    found = cache.get_many([key, *(PREFIX + scope for scope in scopes)])
    tokens = {scope: found.get(PREFIX + scope) for scope in scopes}
    if None in tokens.values():
        tokens = versions(*scopes)
    stamp = [tokens[scope] for scope in scopes] + [timezone.localdate().isoformat()]
    stored = found.get(key)
    hit = stored is not None and stored[0] == stamp
    metrics.cache_answer_counted("api_search", hit=hit)
    if hit:
        return _answer(stored[1], stored[2])
    response = build()
    body = response.data
    data = _RENDERER.render(body["data"])
    pagination = _RENDERER.render(body["meta"]["pagination"])
    cache.set(key, (stamp, data, pagination), SEARCH_CACHE_SECONDS)
    return response


def _answer(data: bytes, pagination: bytes) -> HttpResponse:
    """The envelope around a stored page, byte for byte as the renderer writes it."""
    meta = b'{"timestamp":' + _RENDERER.render(timestamp()) + b',"pagination":' + pagination
    content = b'{"success":true,"data":' + data + b',"meta":' + meta + b"}}"
    return HttpResponse(content, content_type="application/json")
