"""{{ amount|money:currency }} and money_display: money as a reader of the
active language writes it (Babel's format_currency, settings.MONEY_LOCALES)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from marketplace.core.money import money_display

# Babel writes a narrow no-break space (U+202F) or a no-break space (U+00A0)
# where a reader sees a space: compare with plain spaces.
SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def render(text, **context):
    return Template("{% load money %}" + text).render(Context(context)).translate(SPACES)


@pytest.mark.parametrize(
    ("language", "euros", "pounds"),
    [
        ("en", "€34.00", "£1,234.50"),
        ("nl", "€ 34,00", "£ 1.234,50"),
        ("de", "34,00 €", "1.234,50 £"),
        ("fr", "34,00 €", "1 234,50 £GB"),
        ("es", "34,00 €", "1.234,50 GBP"),
    ],
)
def test_money_is_written_in_the_readers_form(language, euros, pounds):
    with translation.override(language):
        assert render("{{ a|money:'EUR' }}", a=Decimal("34")) == euros
        assert render("{{ a|money:c }}", a="1234.5", c="GBP") == pounds
        assert money_display(Decimal("34"), "EUR").translate(SPACES) == euros


def test_an_explicit_language_wins_over_the_active_one():
    with translation.override("en"):
        assert money_display(Decimal("34"), "EUR", "de").translate(SPACES) == "34,00 €"


@pytest.mark.parametrize("value", [None, "", "x", object()])
def test_no_amount_or_not_a_number_writes_nothing(value):
    assert render("{{ a|money:'EUR' }}", a=value) == ""


def test_floats_are_refused_as_money_everywhere_else_but_never_break_a_page():
    # A float reaching a template is a bug upstream; the page still renders.
    assert render("{{ a|money:'EUR' }}", a=1.5) == ""
