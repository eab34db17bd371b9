"""The local Stripe answers this computer only: it listens on 127.0.0.1, not
on every interface (localstripe's own server binds them all)."""

from pathlib import Path

from django.conf import settings

LISTEN = "0A"  # the TCP state "listening" in /proc/net/tcp


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == LISTEN:
                found.add(address)
    return found


def test_the_local_stripe_listens_on_the_loopback_address_only(localstripe):
    port = int(settings.STRIPE_API_BASE.rsplit(":", 1)[1])

    addresses = _listening_addresses(port)

    # 127.0.0.1 as /proc writes it (little-endian hex); never 0.0.0.0 or ::.
    assert addresses == {"0100007F"}, addresses
