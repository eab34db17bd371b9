"""The hosts pictures given by address may come from (settings.EVENT_IMAGE_HOSTS).

A host is named exactly ("images.example.com") or with a leading wildcard for
its subdomains ("*.cdn.example.net": a.cdn.example.net, not cdn.example.net),
as a Content-Security-Policy source names it. Only https addresses qualify.
The same list decides which addresses the services accept and which origins
the policy's img-src allows (marketplace.security), so a picture accepted is
a picture the browser loads.
"""

from urllib.parse import urlsplit


def _host_pattern(host: str) -> str:
    return host.strip().lower().removeprefix("https://").rstrip("/")


def image_host_sources(hosts) -> list[str]:
    """The img-src sources for `hosts`: "https://images.example.com", "https://*.example.net"."""
    return [f"https://{pattern}" for host in hosts if (pattern := _host_pattern(host))]


def image_url_allowed(url: str, hosts) -> bool:
    """Whether `url` is an https address on one of `hosts` (without credentials or
    a port other than 443, which the policy's sources would not allow)."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.username or port not in (None, 443):
        return False
    for pattern in map(_host_pattern, hosts):
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif pattern and host == pattern:
            return True
    return False


def image_origin(url: str) -> str:
    """The https origin of a picture's address, as an img-src source ("" for any
    other address): a page showing one picture from elsewhere allows just that."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ""
    if parts.scheme != "https" or not parts.hostname or parts.username:
        return ""
    return f"https://{parts.netloc.lower()}"
