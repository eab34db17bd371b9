"""How often the shared answers came from the cache: the site's own counts
(encore_cached_answers on /metrics, marketplace/core/metrics.py), read before and
after a measure."""

import re
import urllib.request

SERIES = re.compile(
    r"^encore_cached_answers_total\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.e+]+)$", re.MULTILINE
)
LABEL = re.compile(r'(\w+)="([^"]*)"')


def read(base: str, token: str) -> dict[tuple[str, str], float]:
    """(part, outcome) -> count, added up over the workers."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    counts: dict[tuple[str, str], float] = {}
    for match in SERIES.finditer(text):
        labels = dict(LABEL.findall(match["labels"]))
        key = (labels.get("part", ""), labels.get("outcome", ""))
        counts[key] = counts.get(key, 0.0) + float(match["value"])
    return counts


def ratios(before: dict, after: dict) -> dict:
    """Per part: hits, misses and the hit ratio between the two readings."""
    parts = sorted({part for part, _ in (*before, *after)})
    figures = {}
    for part in parts:
        hits = after.get((part, "hit"), 0) - before.get((part, "hit"), 0)
        misses = after.get((part, "miss"), 0) - before.get((part, "miss"), 0)
        total = hits + misses
        figures[part] = {
            "hits": int(hits),
            "misses": int(misses),
            "hit_ratio": round(hits / total, 4) if total else None,
        }
    return figures
