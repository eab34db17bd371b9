"""Barcodes are never stored in clear: a keyed hash finds duplicates, the last four
characters let a person recognise their ticket (ARCHITECTURE.md, rule 4).

One canonical form for every barcode, read from a file or typed: Unicode NFKC
(fullwidth "６" is "6", the ligature "ﬁ" is "fi"), case folding ("ß" and "SS"
are one), no spaces, dashes or invisible characters, then upper case. For
ASCII this is what Encore always stored (upper case without spaces and
dashes), so the hashes of tickets uploaded before stay valid.

NFKC does not make look-alike letters one ("Đ" is not "D", Cyrillic "А" is not
Latin "A"): the barcode read from the file is authoritative, a typed one is only
compared with it, and a typed barcode that no file confirms must be plain ASCII
(tickets.services.checks), where no look-alikes exist.
"""

import hashlib
import hmac
import unicodedata

from django.conf import settings

# Dashes of every script, and format characters (zero-width space, soft hyphen,
# direction marks): a person does not see them, so they are no part of a barcode.
_DROPPED_CATEGORIES = frozenset({"Pd", "Cf"})


def _dropped(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) in _DROPPED_CATEGORIES


def barcode_normalize(value: str) -> str:
    """The same barcode typed with spaces, dashes, another case or another width
    of digits is the same barcode."""
    text = unicodedata.normalize("NFKC", value or "")
    # NFKC again after folding: folding may leave a string that is not in NFKC.
    text = unicodedata.normalize("NFKC", text.casefold())
    return "".join(character for character in text if not _dropped(character)).upper()


def barcode_hash(value: str) -> str:
    """HMAC-SHA256 of the normalised barcode under BARCODE_HMAC_KEY, as 64 hex digits."""
    key = settings.BARCODE_HMAC_KEY.encode()
    return hmac.new(key, barcode_normalize(value).encode(), hashlib.sha256).hexdigest()


def barcode_last4(value: str) -> str:
    return barcode_normalize(value)[-4:]
