"""Barcodes are never stored in clear: a keyed hash finds duplicates, the last four
characters let a person recognise their ticket (ARCHITECTURE.md, rule 4)."""

import hashlib
import hmac
import re

from django.conf import settings

_SEPARATORS = re.compile(r"[\s\-]+")


def barcode_normalize(value: str) -> str:
    """The same barcode typed with spaces, dashes or lower case is the same barcode."""
    return _SEPARATORS.sub("", value or "").upper()


def barcode_hash(value: str) -> str:
    """HMAC-SHA256 of the normalised barcode under BARCODE_HMAC_KEY, as 64 hex digits."""
    key = settings.BARCODE_HMAC_KEY.encode()
    return hmac.new(key, barcode_normalize(value).encode(), hashlib.sha256).hexdigest()


def barcode_last4(value: str) -> str:
    return barcode_normalize(value)[-4:]
