"""The client's address: one answer for the audit trail, every rate limit
(django-ratelimit, allauth's, the API's) and the admin.

Behind a load balancer, REMOTE_ADDR is the balancer's own address, shared by
every visitor. TRUSTED_PROXY_HEADER names the header our proxies write the
client's address into (e.g. "HTTP_X_FORWARDED_FOR" or "X-Real-IP") and
TRUSTED_PROXY_HOPS how many proxies of ours append to it. Each proxy appends
the address it received the request from, so the client is the address
TRUSTED_PROXY_HOPS from the right: whatever stands left of it was written by
the client and is not believed. Settings are read at each call.
"""

import ipaddress

from django.conf import settings


def _meta_key(header: str) -> str:
    """ "X-Forwarded-For" or "HTTP_X_FORWARDED_FOR" -> "HTTP_X_FORWARDED_FOR"."""
    key = header.strip().upper().replace("-", "_")
    return key if key.startswith("HTTP_") or key == "REMOTE_ADDR" else f"HTTP_{key}"


def _address(value: str) -> str | None:
    """`value` as an IP address in its canonical form, or None. A port some
    proxies add ("203.0.113.5:4711", "[2001:db8::1]:4711") is dropped."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the client that sent `request`, as our own proxies saw
    it; the socket's address without a trusted proxy, or when the header is
    missing, too short (the request did not come through every proxy) or not
    an address. None when there is no address at all (a Unix socket)."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "") or ""
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0
    if not header or hops < 1:
        return remote
    chain = [part for part in (request.META.get(_meta_key(header)) or "").split(",")]
    if len(chain) < hops:
        return remote
    return _address(chain[-hops]) or remote


def client_ip_or_unknown(request) -> str:
    """client_ip for the rate limits, which need a key even without an address:
    RATELIMIT_IP_META_KEY names this function, for django-ratelimit's "ip" key."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 (a key, not a bind address)
