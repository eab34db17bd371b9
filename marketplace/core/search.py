"""Text search that ignores case and accents: "Les Miserables" finds "Les
Misérables", "munchen" finds "München", "CAFE" finds "Café".

Both sides of the comparison go through one SQL function, `encore_fold(text)`:
- PostgreSQL: `lower(unaccent(...))`, an IMMUTABLE function made by the events
  migration 0007 (unaccent extension), so trigram indexes can be built on
  `encore_fold(column)` and serve `LIKE '%...%'`;
- SQLite (the embedded run): `fold()` below, registered on every connection
  (`register_sqlite_functions`, from the kernel's AppConfig.ready).

`folded_contains(field, text)` is the filter a selector uses; the needle is
folded by the same function as the column, so the two always agree.
"""

import unicodedata

from django.db.models import CharField, Func, Q, Value
from django.db.models.lookups import Contains

FOLD_FUNCTION = "encore_fold"


def fold(text: str | None) -> str | None:
    """`text` without accents and case: decomposed (NFKD), combining marks
    dropped, case-folded ("Straße" -> "strasse", "Æ" stays a letter)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Folded(Func):
    """encore_fold(expression): the text as the search compares it."""

    function = FOLD_FUNCTION
    arity = 1
    output_field = CharField()


def folded_contains(field: str, text: str) -> Q:
    """Rows whose `field` contains `text`, ignoring case and accents. On
    PostgreSQL the index on encore_fold(field) serves it (events migration 0007)."""
    return Q(Contains(Folded(field), Folded(Value(text))))


def register_sqlite_functions(sender, connection, **kwargs):
    """connection_created receiver: the SQLite twin of PostgreSQL's encore_fold.
    Deterministic, so SQLite may use it in indexes and constant-fold it."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)
